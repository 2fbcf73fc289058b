"""An in-memory stand-in for the domain's customer-file engine (`dossiers.files` not wired yet).

A straight circuit of automatic and human steps. A rejection sends the file back to the previous
human step (a new step run, so a new suspension key and a new alert); `run_automatic` and
`apply_decision` are idempotent like the real engine must be. Side effects are counted per
(step run, action) so the tests can prove nothing ran twice; `fail_next` makes an action crash
once -- before or after its side effect -- to exercise Prefect's task retries.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from dossiers.errors import IllegalTransition, NotFound, PermissionDenied, ValidationError
from flows.file_engine_protocol import (
    AlertContext,
    Automatic,
    Done,
    NextAction,
    OverdueStep,
    StepDecision,
    WaitHuman,
)

DEFAULT_CIRCUIT: list[tuple[str, str]] = [
    ("auto", "render_order_form"),
    ("human", "order_desk"),
    ("auto", "issue_invoice"),
    ("human", "accounting"),
    ("auto", "archive_invoice"),
]


@dataclass
class StepRun:
    run_id: str
    index: int
    entered_at: datetime
    decision: StepDecision | None = None
    done: bool = False


@dataclass
class FileDouble:
    file_id: str
    circuit: list[tuple[str, str]]
    runs: list[StepRun] = field(default_factory=list)
    outcome: str | None = None
    history: list[str] = field(default_factory=list)


class InMemoryFileEngine:
    def __init__(
        self,
        now: datetime,
        sla: timedelta = timedelta(hours=24),
        escalate_after: timedelta = timedelta(hours=24),
    ) -> None:
        self.now = now
        self.sla = sla
        self.escalate_after = escalate_after
        self.files: dict[str, FileDouble] = {}
        self.effects: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.fail_next: dict[str, Literal["before", "after"]] = {}
        self.members = {"order_desk": {"alice"}, "accounting": {"bob"}}
        self.reminders: list[tuple[str, str, int, str]] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # --- setting up ----------------------------------------------------------------------
    def add_file(self, file_id: str, circuit: list[tuple[str, str]] | None = None) -> None:
        file = FileDouble(file_id, list(circuit or DEFAULT_CIRCUIT))
        self._enter(file, 0)
        self.files[file_id] = file

    def _enter(self, file: FileDouble, index: int) -> None:
        run_id = f"{file.file_id}-{len(file.runs) + 1}"
        file.runs.append(StepRun(run_id, index, self.now))
        file.history.append(f"enter {file.circuit[index][1]} as {run_id}")

    def _current(self, file: FileDouble) -> StepRun:
        return file.runs[-1]

    # --- FileEngine ----------------------------------------------------------------------
    def next_action(self, file_id: str) -> NextAction:
        with self._lock:
            if file_id not in self.files:
                raise NotFound(f"unknown file {file_id}")
            file = self.files[file_id]
            if file.outcome:
                return Done(file.outcome)
            run = self._current(file)
            kind, name = file.circuit[run.index]
            if kind == "auto":
                return Automatic(run.run_id, name, {"file": file_id})
            return WaitHuman(run.run_id, name, run.entered_at + self.sla)

    def run_automatic(self, file_id: str, step_run_id: str, action: str, params: dict) -> None:
        file = self.files[file_id]
        run = next(r for r in file.runs if r.run_id == step_run_id)
        if run.done:
            return
        key = f"{step_run_id}:{action}"
        self.attempts[key] += 1
        if self.fail_next.get(key) == "before":
            del self.fail_next[key]
            raise ConnectionError(f"{action}: service unavailable")
        if key not in self.effects:  # idempotent side effect, keyed by step run
            self.effects[key] += 1
        if self.fail_next.get(key) == "after":
            del self.fail_next[key]
            raise ConnectionError(f"{action}: crashed after the side effect")
        with self._lock:
            run.done = True
            file.history.append(f"done {action}")
            self._advance(file, run.index + 1)

    def apply_decision(self, file_id: str, decision: StepDecision) -> None:
        with self._lock:
            file = self.files[file_id]
            run = next((r for r in file.runs if r.run_id == decision.step_run_id), None)
            if run is None:
                raise IllegalTransition(f"unknown step run {decision.step_run_id}")
            if run.decision is not None:
                if run.decision == decision:
                    return  # already recorded: idempotent
                raise IllegalTransition(f"step run {run.run_id} already decided")
            if run is not self._current(file):
                raise IllegalTransition(f"step run {run.run_id} is not waiting")
            role = file.circuit[run.index][1]
            if decision.actor not in self.members.get(role, set()):
                raise PermissionDenied(f"{decision.actor} may not decide {role}")
            if decision.outcome == "rejected" and not decision.reason:
                raise ValidationError("a rejection needs a reason")
            run.decision = decision
            run.done = True
            file.history.append(f"{decision.outcome} {role} by {decision.actor} {decision.reason}")
            if decision.outcome == "approved":
                self._advance(file, run.index + 1)
            else:
                previous = max(i for i in range(run.index) if file.circuit[i][0] == "human")
                self._enter(file, previous)

    def _advance(self, file: FileDouble, index: int) -> None:
        if index >= len(file.circuit):
            file.outcome = "approved"
            file.history.append("finished")
        else:
            self._enter(file, index)

    def alert_context(self, file_id: str, step_run_id: str) -> AlertContext:
        file = self.files[file_id]
        run = next(r for r in file.runs if r.run_id == step_run_id)
        role = file.circuit[run.index][1]
        recipients = [f"{login}@client.example" for login in sorted(self.members[role])]
        return AlertContext(f"Dossier {file_id}", f"Validation {role}", recipients)

    # --- SlaSource -----------------------------------------------------------------------
    def overdue_steps(self, now: datetime) -> list[OverdueStep]:
        overdue = []
        for file in self.files.values():
            run = self._current(file)
            kind, role = file.circuit[run.index]
            due = run.entered_at + self.sla
            if file.outcome or kind != "human" or now < due:
                continue
            escalate = now >= due + self.escalate_after
            context = self.alert_context(file.file_id, run.run_id)
            if escalate:
                context = AlertContext(
                    context.file_label, context.step_label, ["lead@client.example"]
                )
            overdue.append(
                OverdueStep(
                    file.file_id,
                    run.run_id,
                    role,
                    due,
                    "escalation" if escalate else "reminder",
                    1,
                    context,
                )
            )
        return overdue

    def record_reminder(self, step: OverdueStep, message_id: str) -> None:
        entry = (step.step_run_id, step.kind, step.ordinal, message_id)
        with self._lock:
            if entry not in self.reminders:
                self.reminders.append(entry)


def make_decision(step_run_id: str, outcome: str, actor: str, reason: str = "") -> Any:
    return StepDecision(step_run_id=step_run_id, outcome=outcome, actor=actor, reason=reason)


class PickledFileEngine:
    """The same double, saved to a file after every call: for flow runs in other processes
    (a real worker), which cannot share the test's memory. One process at a time per file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def load(self) -> InMemoryFileEngine:
        import pickle

        with open(self.path, "rb") as handle:
            return pickle.load(handle)

    def save(self, engine: InMemoryFileEngine) -> None:
        import os
        import pickle

        with open(self.path + ".tmp", "wb") as handle:
            pickle.dump(engine, handle)
        os.replace(self.path + ".tmp", self.path)

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            engine = self.load()
            result = getattr(engine, name)(*args, **kwargs)
            self.save(engine)
            return result

        return call


def pickled_engine(_session_factory: Any) -> PickledFileEngine:
    """`LIASSE_FILE_ENGINE=file_engine_double:pickled_engine`; state: LIASSE_TEST_ENGINE_STATE."""
    import os

    return PickledFileEngine(os.environ["LIASSE_TEST_ENGINE_STATE"])
