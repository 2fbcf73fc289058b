"""The vocabulary of the state machine: file and step states, actors, step runs, file views.

Kept apart from the transition rules so models, services and flows can share the words without
importing the rules. Everything here is immutable plain data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class FileState(enum.StrEnum):
    IN_PROGRESS = "in_progress"  # a step is pending, waiting for a person, or running
    WAITING_CUSTOMER = "waiting_customer"  # a human step asked the customer for a document
    CLOSED_APPROVED = "closed_approved"
    CLOSED_REJECTED = "closed_rejected"
    CANCELLED = "cancelled"


OPEN_FILE_STATES = frozenset({FileState.IN_PROGRESS, FileState.WAITING_CUSTOMER})


class StepState(enum.StrEnum):
    PENDING = "pending"  # automatic step not yet claimed by a worker
    WAITING = "waiting"  # human step waiting for a decision
    RUNNING = "running"  # automatic step claimed by a worker
    APPROVED = "approved"  # decided by a person, or automatic step succeeded
    REJECTED = "rejected"
    SKIPPED = "skipped"  # never done: its predecessor's approval was revoked, or file cancelled
    FAILED = "failed"  # automatic step failed after its retries
    REVOKED = "revoked"  # an approval withdrawn before the next step started


ACTIVE_STEP_STATES = frozenset({StepState.PENDING, StepState.WAITING, StepState.RUNNING})


class DecisionKind(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    COMPLETE = "complete"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff login with its roles, or the system (flows, workers)."""

    login: str
    roles: frozenset[str] = frozenset()
    is_system: bool = False

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor("system", is_system=True)


@dataclass(frozen=True)
class StepRun:
    """One occurrence of a circuit step in a file (a step visited twice has two runs)."""

    seq: int
    step_id: str
    state: StepState
    activated_at: datetime
    role: str | None = None
    assignee: str | None = None
    due_at: datetime | None = None
    escalate_at: datetime | None = None
    started_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision: DecisionKind | None = None
    reason: str | None = None
    outcome: str | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    requested_document: str | None = None
    request_due_at: datetime | None = None
    request_received_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STEP_STATES

    @property
    def has_open_request(self) -> bool:
        return self.requested_document is not None and self.request_received_at is None


@dataclass(frozen=True)
class FileView:
    """What the machine knows of a file: its state and every step run, oldest first."""

    state: FileState
    runs: tuple[StepRun, ...] = field(default_factory=tuple)
    outcome: str | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_FILE_STATES

    @property
    def current(self) -> StepRun | None:
        active = [r for r in self.runs if r.is_active]
        return active[-1] if active else None

    def run(self, seq: int) -> StepRun:
        for candidate in self.runs:
            if candidate.seq == seq:
                return candidate
        raise KeyError(seq)
