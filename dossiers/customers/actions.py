"""Actions on a customer (letter, e-mail, address change, note) and the task list they feed.

An action with a reminder date is a task: it shows on its date ("due today") and stays, as
"overdue", until someone marks it done. Dates are compared with a `today` the caller passes, so
the list is testable and follows the user's calendar day rather than the server's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.models import ActionKind, CustomerAction
from dossiers.customers.service import get_customer
from dossiers.db import utcnow
from dossiers.errors import ConflictError, NotFound
from dossiers.input_validation import Blank, parse_input
from dossiers.staff.service import get_staff

Login = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1)]


class ActionInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ActionKind
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    author_login: Login
    copy_to_login: Annotated[Login | None, Blank] = None
    comment: Annotated[str | None, Blank] = None
    reminder_on: date | None = None


def add_action(session: Session, number: str, data: Mapping[str, Any], *,
               actor: str | None = None) -> CustomerAction:
    fields = parse_input(ActionInput, data)
    author = get_staff(session, fields.author_login)
    copy_to = get_staff(session, fields.copy_to_login) if fields.copy_to_login else None
    customer = get_customer(session, number)
    action = CustomerAction(
        customer_id=customer.id, kind=fields.kind, subject=fields.subject, author_id=author.id,
        copy_to_id=copy_to.id if copy_to else None, comment=fields.comment,
        reminder_on=fields.reminder_on,
    )
    session.add(action)
    session.flush()
    record(session, "customer.action_added", subject_type="customer_action",
           subject_id=action.id, actor=actor or author.login, customer_id=customer.id,
           data={"kind": action.kind.value, "subject": action.subject,
                 "reminder_on": str(action.reminder_on) if action.reminder_on else None})
    return action


@dataclass(frozen=True)
class TaskList:
    due_today: Sequence[CustomerAction]
    overdue: Sequence[CustomerAction]


def tasks(session: Session, today: date, *, staff_login: str | None = None) -> TaskList:
    """Open reminders due `today` and those past due; optionally only a user's (author or cc)."""
    query = (
        select(CustomerAction)
        .where(CustomerAction.done.is_(False), CustomerAction.reminder_on <= today)
        .order_by(CustomerAction.reminder_on, CustomerAction.id)
    )
    if staff_login:
        user = get_staff(session, staff_login)
        query = query.where(or_(CustomerAction.author_id == user.id,
                                CustomerAction.copy_to_id == user.id))
    open_tasks = session.scalars(query).unique().all()
    return TaskList(
        due_today=[t for t in open_tasks if t.reminder_on == today],
        overdue=[t for t in open_tasks if t.reminder_on is not None and t.reminder_on < today],
    )


def mark_done(session: Session, action_id: int, *, by_login: str | None = None,
              at: datetime | None = None) -> CustomerAction:
    """Close a task so it leaves the list; closing twice is refused."""
    user = get_staff(session, by_login) if by_login else None
    action = session.get(CustomerAction, action_id)
    if action is None:
        raise NotFound(f"Action inconnue : {action_id}.", f"Unknown action: {action_id}.")
    if action.done:
        raise ConflictError(f"L'action {action_id} est déjà faite.",
                            f"Action {action_id} is already done.")
    action.done = True
    action.done_at = at or utcnow()
    action.done_by_id = user.id if user else None
    session.flush()
    record(session, "customer.action_done", subject_type="customer_action",
           subject_id=action.id, actor=user.login if user else "system",
           customer_id=action.customer_id)
    return action
