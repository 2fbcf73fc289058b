"""The seam between the customer-file flow and the domain: what the flow may ask and tell.

The flow never decides anything itself. Each time it wakes up (first start, after a resume, after
a crash and re-run) it asks the domain `next_action(file_id)` and does exactly that; the
database is the source of truth and the flow only mirrors it. Every method must therefore be
idempotent: `run_automatic` on a step already done, or `apply_decision` for a decision already
recorded, changes nothing and returns normally.

`step_run_id` names one *run* of a step: a new id each time a file waits on a step again (after a
rejection or a revoked approval), so it can key the suspension, the alert mail and the decision
without ever confusing two visits of the same circuit step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from prefect.input import RunInput
from pydantic import Field


@dataclass(frozen=True)
class Automatic:
    """Run `action` (render, seal, archive, send, deposit...) for this step now."""

    step_run_id: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitHuman:
    """A member of `role` must decide; the flow alerts them and suspends."""

    step_run_id: str
    role: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class WaitCustomer:
    """The customer must send `document`; the flow suspends until it is received."""

    step_run_id: str
    document: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class Done:
    """The file reached a final state (`outcome`: approved, rejected, cancelled...)."""

    outcome: str


NextAction = Automatic | WaitHuman | WaitCustomer | Done


class StepDecision(RunInput):
    """The typed input a suspended customer-file flow run waits for (one human decision).

    Prefect stores its JSON schema when the run suspends and the server checks every resume
    against it (wrong type or missing field: the run stays suspended). Business rules (a
    rejection needs a reason, the actor's role may decide) are the domain's, in `apply_decision`.
    `outcome` `received` resumes a WaitCustomer step once the document has arrived.
    """

    step_run_id: str = Field(min_length=1, max_length=100)
    outcome: Literal["approved", "rejected", "received"]
    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="", max_length=2000)
    named_outcome: str | None = Field(
        default=None, max_length=50,
        description="A step's named outcome (e.g. a dispute's credit_note), with approved.")


@dataclass(frozen=True)
class AlertContext:
    """What the alert mail needs to know about a waiting step."""

    file_label: str
    step_label: str
    recipients: list[str]
    language: str = "fr"


class FileEngine(Protocol):
    """The domain, as the customer-file flow sees it (implemented over `dossiers.files`)."""

    def next_action(self, file_id: str) -> NextAction: ...

    def run_automatic(self, file_id: str, step_run_id: str, action: str, params: dict) -> None:
        """Do the automatic step and record it done; a no-op if it is already done."""
        ...

    def apply_decision(self, file_id: str, decision: StepDecision) -> None:
        """Record the decision; a no-op if that step run already has this decision."""
        ...

    def alert_context(self, file_id: str, step_run_id: str) -> AlertContext: ...


@dataclass(frozen=True)
class OverdueStep:
    """A waiting step past its SLA: `kind` says whether to remind the role or escalate."""

    file_id: str
    step_run_id: str
    role: str
    due_at: datetime
    kind: Literal["reminder", "escalation"]
    ordinal: int
    context: AlertContext


class SlaSource(Protocol):
    """The domain's view of overdue steps, for the scheduled SLA-reminder flow."""

    def overdue_steps(self, now: datetime) -> list[OverdueStep]: ...

    def record_reminder(self, step: OverdueStep, message_id: str) -> None:
        """Note in the database and audit trail that this reminder went out (idempotent)."""
        ...
