"""What can be asked of the state machine (commands) and what it answers (next actions).

Commands: approve, reject, revoke an approval, delegate, request a document from the customer
and receive it, claim / complete / fail an automatic step, remind / escalate an overdue step,
cancel the file, reopen a closed-approved file at a human step. Next actions: run an automatic
action, wait for a person, wait for the customer, or nothing (finished). Plain immutable data,
shared by the machine, the service and the flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dossiers.files.states import Actor, FileState, FileView


# --- commands ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Approve:
    seq: int
    actor: Actor
    reason: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Reject:
    seq: int
    actor: Actor
    reason: str


@dataclass(frozen=True)
class Revoke:
    """Withdraw the approval of run `seq` while the step after it has not started."""

    seq: int
    actor: Actor
    reason: str


@dataclass(frozen=True)
class Delegate:
    seq: int
    actor: Actor
    to_login: str
    reason: str | None = None


@dataclass(frozen=True)
class RequestDocument:
    seq: int
    actor: Actor
    document: str
    due_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class ReceiveDocument:
    actor: Actor
    document: str


@dataclass(frozen=True)
class StartAutomatic:
    seq: int
    actor: Actor


@dataclass(frozen=True)
class CompleteAutomatic:
    seq: int
    actor: Actor
    note: str | None = None


@dataclass(frozen=True)
class FailAutomatic:
    seq: int
    actor: Actor
    reason: str


@dataclass(frozen=True)
class Remind:
    """The SLA sweep reminded the deciders of an overdue human step."""

    seq: int
    actor: Actor


@dataclass(frozen=True)
class Escalate:
    """The SLA sweep handed an overdue human step to someone above (the group lead)."""

    seq: int
    actor: Actor
    to_login: str


@dataclass(frozen=True)
class Cancel:
    actor: Actor
    reason: str


@dataclass(frozen=True)
class Reopen:
    """Put a closed-approved file back at human step `step_id` (e.g. Chorus Pro rejected the
    invoice days after the deposit closed the file): a new waiting run, the file in progress."""

    actor: Actor
    step_id: str
    reason: str


Command = (
    Approve | Reject | Revoke | Delegate | RequestDocument | ReceiveDocument | StartAutomatic
    | CompleteAutomatic | FailAutomatic | Remind | Escalate | Cancel | Reopen
)


# --- what to do next -----------------------------------------------------------------------
@dataclass(frozen=True)
class RunAutomatic:
    """Run `action` for this step; `claimed` is False until a worker called StartAutomatic."""

    seq: int
    step_id: str
    kind: str
    action: str
    params: dict[str, Any]
    claimed: bool


@dataclass(frozen=True)
class AwaitHuman:
    seq: int
    step_id: str
    role: str
    assignee: str | None
    due_at: datetime | None
    escalate_at: datetime | None


@dataclass(frozen=True)
class AwaitCustomer:
    seq: int
    step_id: str
    document: str
    due_at: datetime | None


@dataclass(frozen=True)
class Finished:
    state: FileState
    outcome: str | None


NextAction = RunAutomatic | AwaitHuman | AwaitCustomer | Finished


@dataclass(frozen=True)
class Transition:
    """The result of a command: the new view and the audit action naming what happened."""

    view: FileView
    event: str
