"""Read-only questions about files: what waits for whom, and what a driver should do next.

`plan_next(session, file_id)` is the entry point for the customer-file flow: it answers with the
machine's `NextAction` plus the step row id to pass back to `claim_automatic`,
`complete_automatic`, `approve`, ... so the flow never reasons about states itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.files import state_machine as machine
from dossiers.files.mapping import view_of
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.service import circuit_of, get_file
from dossiers.files.states import OPEN_FILE_STATES, StepState


@dataclass(frozen=True)
class PlannedAction:
    file_id: int
    file_version: int
    step_row_id: int | None  # None once the file is finished
    action: machine.NextAction


def plan_next(session: Session, file_id: int) -> PlannedAction:
    file = get_file(session, file_id)
    action = machine.next_action(circuit_of(session, file), view_of(file))
    row_id = None
    if not isinstance(action, machine.Finished):
        row_id = next(r.id for r in file.steps if r.seq == action.seq)
    return PlannedAction(file.id, file.version, row_id, action)


def pending_steps(
    session: Session, *, role: str | None = None, assignee: str | None = None
) -> list[FileStep]:
    """Human steps waiting for a decision, oldest due first (a role's or a person's inbox)."""
    query = (
        select(FileStep)
        .join(CustomerFile, FileStep.file_id == CustomerFile.id)
        .where(FileStep.state == StepState.WAITING, CustomerFile.state.in_(OPEN_FILE_STATES))
        .order_by(FileStep.due_at, FileStep.id)
    )
    if role is not None:
        query = query.where(FileStep.role == role)
    if assignee is not None:
        query = query.where(FileStep.assignee == assignee)
    return list(session.scalars(query))


def overdue_steps(session: Session, now: datetime) -> list[FileStep]:
    """Waiting human steps past their SLA and not reminded since (the reminder sweep)."""
    query = (
        select(FileStep)
        .join(CustomerFile, FileStep.file_id == CustomerFile.id)
        .where(FileStep.state == StepState.WAITING, CustomerFile.state.in_(OPEN_FILE_STATES),
               FileStep.due_at <= now,
               or_(FileStep.reminded_at.is_(None), FileStep.reminded_at < FileStep.due_at))
        .order_by(FileStep.due_at, FileStep.id)
    )
    return list(session.scalars(query))


def escalation_due(session: Session, now: datetime) -> list[FileStep]:
    """Waiting human steps past their escalation delay and not escalated yet."""
    query = (
        select(FileStep)
        .join(CustomerFile, FileStep.file_id == CustomerFile.id)
        .where(FileStep.state == StepState.WAITING, CustomerFile.state.in_(OPEN_FILE_STATES),
               FileStep.escalate_at <= now, FileStep.escalated_at.is_(None))
        .order_by(FileStep.escalate_at, FileStep.id)
    )
    return list(session.scalars(query))


def files_of_customer(session: Session, customer_id: int) -> list[CustomerFile]:
    query = (select(CustomerFile).where(CustomerFile.customer_id == customer_id)
             .order_by(CustomerFile.id))
    return list(session.scalars(query))
