"""A validator's inbox: the human steps waiting for a set of roles or a person, with filters.

`pending_steps` (queries.py) answers one role's or one person's list for the CLI; the portal's
inbox asks for several roles at once plus the steps delegated or escalated to the user, filtered
by circuit, step and customer, overdue first, and needs the customer's number and name on each
line without loading whole customers. Who may see which steps is the caller's policy
(`portal.access`): it passes the roles and login, or `everything=True` for an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from dossiers.customers.models import Customer
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.states import OPEN_FILE_STATES, StepState


@dataclass(frozen=True)
class InboxScope:
    """Whose steps: those of `roles`, those delegated or escalated to `login`; or all."""

    roles: frozenset[str] = frozenset()
    login: str | None = None
    everything: bool = False


@dataclass(frozen=True)
class InboxFilters:
    circuit: str | None = None
    step_id: str | None = None
    customer: str | None = None  # a customer number, or a part of its name


@dataclass(frozen=True)
class InboxRow:
    step_row_id: int
    file_id: int
    circuit_name: str
    circuit_version: int
    step_id: str
    role: str | None
    assignee: str | None
    activated_at: datetime
    due_at: datetime | None
    requested_document: str | None
    request_received_at: datetime | None
    customer_number: str
    customer_name: str


def scope_condition(scope: InboxScope) -> ColumnElement[bool]:
    """A WHERE clause on `FileStep` selecting the steps of `scope`."""
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope.roles:
        clauses.append(FileStep.role.in_(sorted(scope.roles)))
    if scope.login:
        clauses.append(FileStep.assignee == scope.login)
        clauses.append(FileStep.escalated_to == scope.login)
    return or_(*clauses) if clauses else false()


def _waiting(scope: InboxScope) -> Select:
    return (
        select(FileStep, CustomerFile.circuit_name, CustomerFile.circuit_version, Customer.number,
               Customer.company_name, Customer.first_name, Customer.last_name)
        .join(CustomerFile, FileStep.file_id == CustomerFile.id)
        .join(Customer, CustomerFile.customer_id == Customer.id)
        .where(FileStep.state == StepState.WAITING, CustomerFile.state.in_(OPEN_FILE_STATES),
               scope_condition(scope))
    )


def _filtered(query: Select, filters: InboxFilters) -> Select:
    if filters.circuit:
        query = query.where(CustomerFile.circuit_name == filters.circuit)
    if filters.step_id:
        query = query.where(FileStep.step_id == filters.step_id)
    if filters.customer:
        text = filters.customer.strip()
        pattern = f"%{text.lower()}%"
        query = query.where(or_(
            Customer.number == text.upper(),
            func.lower(Customer.company_name).like(pattern),
            func.lower(Customer.last_name).like(pattern),
            func.lower(Customer.first_name).like(pattern),
        ))
    return query


def customer_name(company: str | None, first: str | None, last: str | None, number: str) -> str:
    person = " ".join(p for p in (first, last) if p)
    if company and person:
        return f"{company} ({person})"
    return company or person or number


def waiting_steps(session: Session, scope: InboxScope, filters: InboxFilters = InboxFilters(),
                  *, limit: int = 200, offset: int = 0) -> list[InboxRow]:
    """Waiting human steps of `scope`, the most overdue first (steps without a due date last)."""
    query = (
        _filtered(_waiting(scope), filters)
        .order_by(FileStep.due_at.is_(None), FileStep.due_at, FileStep.id)
        .limit(limit).offset(offset)
    )
    rows = []
    for step, circuit, version, number, company, first, last in session.execute(query):
        rows.append(InboxRow(
            step_row_id=step.id, file_id=step.file_id, circuit_name=circuit,
            circuit_version=version, step_id=step.step_id,
            role=step.role, assignee=step.assignee, activated_at=step.activated_at,
            due_at=step.due_at, requested_document=step.requested_document,
            request_received_at=step.request_received_at, customer_number=number,
            customer_name=customer_name(company, first, last, number),
        ))
    return rows


def count_waiting(session: Session, scope: InboxScope,
                  filters: InboxFilters = InboxFilters()) -> int:
    query = _filtered(_waiting(scope), filters).with_only_columns(func.count(FileStep.id))
    return session.scalar(query) or 0


def inbox_facets(session: Session, scope: InboxScope) -> tuple[list[str], list[str]]:
    """The circuits and the step ids present in the scope's inbox (the filters' choices)."""
    base = _waiting(scope)
    circuits = session.scalars(
        base.with_only_columns(CustomerFile.circuit_name).distinct()
        .order_by(CustomerFile.circuit_name)).all()
    steps = session.scalars(
        base.with_only_columns(FileStep.step_id).distinct().order_by(FileStep.step_id)).all()
    return list(circuits), list(steps)
