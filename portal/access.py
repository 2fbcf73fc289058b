"""Who may see what on the portal: the one access policy, used by every route and every query.

Two levels, both here and nowhere else (templates never decide access):

1. The route's area (`Area`), a FastAPI dependency on every route (`require(Area.X)`):
   `PUBLIC` (sign-in, language switch), `STAFF` (any signed-in staff user: the inbox, the step
   pages, the account), `CUSTOMERS` (customer records: admin, compliance, sales reps, group
   leads), `COMPLIANCE` (archive and audit trail: admin, compliance). Anonymous: a page redirects
   to the sign-in page with `next=`, the API answers 401. A role outside the area: 403, except
   `CUSTOMERS`, which answers 404 like a customer one may not see.
2. The records a route reads, through the scoped lookups below; a record out of scope is
   `NotFound`, exactly like one that does not exist (another rep's customer is a 404, not a 403):
   - steps: admin all; otherwise those their roles decide, or delegated or escalated to them
     (the domain's `may_decide` rule, `dossiers.files.guards`);
   - customers: `dossiers.customers.access` (admin and compliance all, a sales rep their own,
     a group lead their team's);
   - a file and its documents: its customer is visible, or one of its steps is.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dossiers.customers.access import visibility_condition
from dossiers.customers.models import Customer
from dossiers.errors import LiasseError, NotFound, PermissionDenied
from dossiers.files.inbox import InboxScope, scope_condition
from dossiers.files.models import CustomerFile, FileDocument, FileStep
from dossiers.staff.credentials import credential_of, credential_stamp
from dossiers.staff.models import ALL_CUSTOMERS_ROLES, StaffUser

CUSTOMER_ROLES = frozenset({*ALL_CUSTOMERS_ROLES, "sales_rep", "group_lead"})
COMPLIANCE_ROLES = frozenset({"admin", "compliance"})


class Area(enum.StrEnum):
    PUBLIC = "public"
    STAFF = "staff"
    CUSTOMERS = "customers"
    COMPLIANCE = "compliance"


AREA_ROLES: dict[Area, frozenset[str] | None] = {
    Area.PUBLIC: None,
    Area.STAFF: None,
    Area.CUSTOMERS: CUSTOMER_ROLES,
    Area.COMPLIANCE: COMPLIANCE_ROLES,
}


class NotSignedIn(LiasseError):
    """The route needs a signed-in staff user."""

    exit_code = 6


@dataclass(frozen=True)
class Principal:
    """The signed-in staff user, as read from the database on this request."""

    user: StaffUser
    csrf: str

    @property
    def login(self) -> str:
        return self.user.login

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.user.role_names)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def in_area(self, area: Area) -> bool:
        allowed = AREA_ROLES[area]
        return allowed is None or bool(self.roles & allowed)


# --- request dependencies --------------------------------------------------------------------
def db_session(request: Request):  # type: ignore[no-untyped-def]
    """The request's database session (read side). A route that writes (a decision) does not
    take it: it opens its own transaction, then a fresh session to show the result."""
    with request.app.state.portal.services.factory() as session:
        yield session


def current_principal(request: Request) -> Principal | None:
    """The session cookie's user if it is still valid: active, same password as at sign-in.

    Read in a short session of its own, closed before the route runs: on SQLite every
    transaction takes the write lock, so a request holds at most one session at a time. The
    user comes back detached with its roles loaded (all the policy reads)."""
    portal = request.app.state.portal
    data = portal.cookies.read_session(request)
    if data is None:
        return None
    with portal.services.factory() as session:
        user = session.get(StaffUser, data.user_id)
        if user is None or not user.active or user.login != data.login:
            return None
        credential = credential_of(session, user)
        if credential is None or credential_stamp(credential) != data.stamp:
            return None
        _ = user.role_names  # loaded before the session closes
    return Principal(user=user, csrf=data.csrf)


def require(area: Area) -> Callable[..., Principal | None]:
    """The dependency every route declares: signed in (unless PUBLIC) and in the area."""

    def dependency(request: Request,
                   principal: Principal | None = Depends(current_principal)) -> Principal | None:
        request.state.principal = principal
        if area is Area.PUBLIC:
            return principal
        if principal is None:
            raise NotSignedIn("Connectez-vous pour continuer.", "Sign in to continue.")
        if not principal.in_area(area):
            if area is Area.CUSTOMERS:
                raise NotFound("Page introuvable.", "Page not found.")
            raise PermissionDenied(
                "Votre rôle ne donne pas accès à cette page.",
                "Your role does not give access to this page.",
            )
        return principal

    dependency.__name__ = f"require_{area.value}"
    dependency.area = area  # type: ignore[attr-defined]  # read by the route table test
    return dependency


# --- scoped lookups --------------------------------------------------------------------------
def inbox_scope(principal: Principal) -> InboxScope:
    return InboxScope(roles=principal.roles, login=principal.login,
                      everything=principal.is_admin)


def step_not_found(step_id: int | str) -> NotFound:
    return NotFound(f"Étape {step_id} introuvable.", f"Step {step_id} not found.")


def visible_step(session: Session, principal: Principal, step_id: int) -> FileStep:
    query = select(FileStep).where(FileStep.id == step_id,
                                   scope_condition(inbox_scope(principal)))
    step = session.scalars(query).one_or_none()
    if step is None:
        raise step_not_found(step_id)
    return step


def may_decide(principal: Principal, step: FileStep) -> bool:
    """Whether the decision form is offered (the domain checks again when deciding)."""
    return (principal.is_admin or (step.role is not None and step.role in principal.roles)
            or principal.login in (step.assignee, step.escalated_to))


def visible_customer(session: Session, principal: Principal, number: str) -> Customer:
    query = select(Customer).where(Customer.number == number.strip().upper(),
                                   visibility_condition(session, principal.user))
    customer = session.scalars(query).one_or_none()
    if customer is None:
        raise NotFound(f"Client {number} introuvable.", f"Customer {number} not found.")
    return customer


def visible_file(session: Session, principal: Principal, file_id: int) -> CustomerFile:
    via_customer = (select(Customer.id)
                    .where(Customer.id == CustomerFile.customer_id,
                           visibility_condition(session, principal.user)))
    via_step = (select(FileStep.id)
                .where(FileStep.file_id == CustomerFile.id,
                       scope_condition(inbox_scope(principal))))
    query = select(CustomerFile).where(CustomerFile.id == file_id,
                                       exists(via_customer) | exists(via_step))
    file = session.scalars(query).one_or_none()
    if file is None:
        raise NotFound(f"Dossier {file_id} introuvable.", f"File {file_id} not found.")
    return file


def visible_document(session: Session, principal: Principal, file_id: int,
                     document_id: int) -> FileDocument:
    file = visible_file(session, principal, file_id)
    document = session.get(FileDocument, document_id)
    if document is None or document.file_id != file.id:
        raise NotFound(f"Pièce {document_id} introuvable.", f"Document {document_id} not found.")
    return document
