"""Creating, changing and finding customers; each change is audited in the same transaction.

Input is checked first (`inputs.CustomerInput`), then the rules that need the database: the sales
rep exists, a beneficiary's payer exists and is a third-party payer, a contact's company is a
company record, a payer with beneficiaries keeps its type. Only then is anything written, so bad
input leaves the database untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.inputs import INPUT_FIELDS, CustomerInput
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.customers.numbering import allocate_customer_number, normalise_customer_number
from dossiers.db import for_update
from dossiers.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from dossiers.input_validation import parse_input
from dossiers.staff.models import StaffUser
from dossiers.staff.service import get_staff

# Roles allowed to be a customer's sales rep (portal access follows this link).
SALES_ROLES = frozenset({"sales_rep", "group_lead"})


def get_customer(session: Session, number: str, *, lock: bool = False) -> Customer:
    """The customer with this number ("C000123", "c123" or "123"), or `NotFound`."""
    wanted = normalise_customer_number(number)
    query = select(Customer).where(Customer.number == wanted)
    if lock and for_update(session):
        query = query.with_for_update(of=Customer)
    customer = session.scalars(query).unique().one_or_none()
    if customer is None:
        raise NotFound(f"Client inconnu : {wanted}.", f"Unknown customer: {wanted}.")
    return customer


def _audit_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _resolve_sales_rep(session: Session, login: str) -> StaffUser:
    rep = get_staff(session, login)
    if not rep.active:
        raise ValidationError(f"Le commercial {login} est désactivé.",
                              f"Sales rep {login} is deactivated.")
    if not rep.role_names & SALES_ROLES:
        raise ValidationError(
            f"{login} ne peut pas suivre de clients : rôle sales_rep ou group_lead requis.",
            f"{login} cannot look after customers: sales_rep or group_lead role required.",
        )
    return rep


def _resolve_payer(session: Session, number: str | None, *, self_id: int | None) -> Customer | None:
    if number is None:
        return None
    payer = get_customer(session, number)
    if payer.id == self_id:
        raise ValidationError("Un client ne peut pas être son propre tiers payant.",
                              "A customer cannot be its own third-party payer.")
    if payer.type != CustomerType.THIRD_PARTY_PAYER:
        raise ValidationError(
            f"Le client {payer.number} n'est pas un tiers payant (type {payer.type.value}).",
            f"Customer {payer.number} is not a third-party payer (type {payer.type.value}).",
        )
    if payer.state == CustomerState.STRUCK_OFF:
        raise ValidationError(f"Le tiers payant {payer.number} est radié.",
                              f"Third-party payer {payer.number} is struck off.")
    return payer


def _resolve_company(session: Session, number: str | None, *, self_id: int | None
                     ) -> Customer | None:
    if number is None:
        return None
    company = get_customer(session, number)
    if company.id == self_id or not company.is_company:
        raise ValidationError(
            f"Le client {company.number} n'est pas une fiche société : impossible d'y rattacher "
            "un contact.",
            f"Customer {company.number} is not a company record: cannot attach a contact to it.",
        )
    return company


def _relations(session: Session, fields: CustomerInput, self_id: int | None) -> dict[str, Any]:
    rep = _resolve_sales_rep(session, fields.sales_rep_login)
    payer = _resolve_payer(session, fields.payer_number, self_id=self_id)
    company = _resolve_company(session, fields.company_number, self_id=self_id)
    return {
        "sales_rep_id": rep.id,
        "payer_id": payer.id if payer else None,
        "company_id": company.id if company else None,
    }


def create_customer(session: Session, data: Mapping[str, Any], *, actor: str = "system"
                    ) -> Customer:
    """Check `data`, allocate the next number and insert the customer (audited)."""
    fields = parse_input(CustomerInput, data)
    relations = _relations(session, fields, self_id=None)
    customer = Customer(number=allocate_customer_number(session), **fields.columns(), **relations)
    session.add(customer)
    session.flush()
    record(session, "customer.created", subject_type="customer", subject_id=customer.number,
           actor=actor, customer_id=customer.id,
           data={"number": customer.number, "type": customer.type.value,
                 "sales_rep": fields.sales_rep_login, "payer": fields.payer_number,
                 "company": fields.company_number})
    return customer


def current_input(customer: Customer, session: Session) -> dict[str, Any]:
    """The record as `CustomerInput` data, the base an update's changes apply to."""
    values = {name: getattr(customer, name) for name in INPUT_FIELDS if hasattr(customer, name)}
    rep = session.get(StaffUser, customer.sales_rep_id)
    values["sales_rep_login"] = rep.login if rep else ""
    values["payer_number"] = customer.payer.number if customer.payer else None
    values["company_number"] = customer.company.number if customer.company else None
    return values


def update_customer(
    session: Session,
    number: str,
    changes: Mapping[str, Any],
    *,
    actor: str = "system",
    expected_version: int | None = None,
) -> Customer:
    """Apply `changes` (field -> new value) after re-checking the whole record; audited.

    `expected_version` (the version the user saw) turns a concurrent edit into a
    `ConflictError` instead of a silent overwrite.
    """
    customer = get_customer(session, number, lock=True)
    if expected_version is not None and customer.version != expected_version:
        raise ConflictError(
            f"Le client {customer.number} a été modifié entre-temps ; rechargez la fiche.",
            f"Customer {customer.number} was changed meanwhile; reload the record.",
        )
    unknown = set(changes) - set(INPUT_FIELDS)
    if unknown:
        raise ValidationError(f"Champ(s) inconnu(s) : {', '.join(sorted(unknown))}.",
                              f"Unknown field(s): {', '.join(sorted(unknown))}.")
    fields = parse_input(CustomerInput, {**current_input(customer, session), **changes})
    if customer.type == CustomerType.THIRD_PARTY_PAYER and fields.type != customer.type:
        _refuse_if_has_beneficiaries(session, customer)
    target = {**fields.columns(), **_relations(session, fields, self_id=customer.id)}
    changed = {k: v for k, v in target.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for key, value in changed.items():
        setattr(customer, key, value)
    session.flush()
    record(session, "customer.updated", subject_type="customer", subject_id=customer.number,
           actor=actor, customer_id=customer.id,
           data={"changed": {k: _audit_value(v) for k, v in sorted(changed.items())}})
    return customer


def _refuse_if_has_beneficiaries(session: Session, payer: Customer) -> None:
    count = session.scalar(select(func.count()).where(Customer.payer_id == payer.id)) or 0
    if count:
        raise ValidationError(
            f"Le tiers payant {payer.number} a {count} bénéficiaire(s) : rattachez-les à un "
            "autre tiers avant de changer son type.",
            f"Third-party payer {payer.number} has {count} beneficiary(ies): move them to "
            "another payer before changing its type.",
        )


def change_state(
    session: Session,
    number: str,
    new_state: CustomerState | str,
    *,
    actor: str = "system",
    reason: str | None = None,
) -> Customer:
    """Set active / suspended / struck off (any state can be changed at any time; audited)."""
    try:
        target = CustomerState(new_state)
    except ValueError:
        allowed = ", ".join(s.value for s in CustomerState)
        raise ValidationError(f"État inconnu : {new_state} (attendu : {allowed}).",
                              f"Unknown state: {new_state} (expected: {allowed}).") from None
    customer = get_customer(session, number, lock=True)
    if customer.state == target:
        raise IllegalTransition(f"Le client {customer.number} est déjà dans l'état {target}.",
                                f"Customer {customer.number} is already {target}.")
    previous = customer.state
    customer.state = target
    customer.suspension_proposed = False  # a human decided: the NPAI proposal is answered
    session.flush()
    record(session, "customer.state_changed", subject_type="customer",
           subject_id=customer.number, actor=actor, customer_id=customer.id,
           data={"from": previous.value, "to": target.value, "reason": reason})
    return customer


def company_contacts(session: Session, company: Customer) -> Sequence[Customer]:
    """The contact records attached to a company record, by number."""
    query = select(Customer).where(Customer.company_id == company.id).order_by(Customer.number)
    return session.scalars(query).unique().all()


def beneficiaries(session: Session, payer: Customer) -> Sequence[Customer]:
    """The beneficiaries a third-party payer pays for, by number."""
    query = select(Customer).where(Customer.payer_id == payer.id).order_by(Customer.number)
    return session.scalars(query).unique().all()
