"""Property test: random decision sequences never drive a file into an illegal state.

Hypothesis plays random commands (approve, reject, revoke, delegate, request / receive a
document, claim / complete / fail automatic steps, cancel, reopen a closed file) by random actors
with random reasons against the shipped circuits. Refused commands must raise a domain error;
accepted ones must keep every invariant of the file and respect the circuit's transitions; only a
closed-approved file reopens, at a human step, with a reason, by the system or an operator.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dossiers.circuits import CLOSE, Circuit
from dossiers.errors import ConflictError, IllegalTransition, LiasseError
from dossiers.files import state_machine as m
from dossiers.files.states import (
    ACTIVE_STEP_STATES,
    SYSTEM,
    Actor,
    FileState,
    FileView,
    StepRun,
    StepState,
)

from .helpers import T0, default_circuit, dispute_circuit

CIRCUITS = [default_circuit(), dispute_circuit()]
ROLES = sorted({s.role for c in CIRCUITS for s in c.steps if s.role})
ACTORS = [
    SYSTEM,
    Actor("root", frozenset({"admin"})),
    Actor("ops", frozenset({"operator"})),
    Actor("sam", frozenset({"sales_rep"})),
    *(Actor(f"{role}_user", frozenset({role})) for role in ROLES),
    *(Actor(f"{role}_peer", frozenset({role})) for role in ROLES),
]
REASONS = st.one_of(st.sampled_from(["ok", "pièce illisible"]), st.none(),
                    st.sampled_from(["", "  "]), st.text(max_size=30))
HUMAN_STATES = {StepState.WAITING, StepState.APPROVED, StepState.REJECTED, StepState.SKIPPED,
                StepState.REVOKED}
AUTO_STATES = {StepState.PENDING, StepState.RUNNING, StepState.APPROVED, StepState.FAILED,
               StepState.SKIPPED}

# Weighted towards moves that make progress, so sequences reach deep states and closures.
# "advance" does what the current step expects (approve a human step, claim or complete an
# automatic one); it is weighted so sequences reach deep states and closures.
command_kinds = st.sampled_from(["advance"] * 8 + ["approve", "start", "complete",
                                 "reject", "revoke", "delegate", "request", "receive", "fail",
                                 "remind", "escalate", "cancel"] + ["reopen"] * 2)
FITTING = None  # stands for "someone entitled to act on the current step"
actors = st.one_of(st.just(FITTING), st.just(FITTING), st.sampled_from(ACTORS))
steps_of_play = st.lists(
    st.tuples(command_kinds, st.sampled_from([0, 0, 0, 1, 2]), actors, REASONS,
              st.sampled_from([None, "credit_note", "correction", "bogus"]),
              st.sampled_from([a.login for a in ACTORS if not a.is_system]),
              st.sampled_from([0.1, 0.1, 1, 30])),  # hours until this move: SLAs expire too
    min_size=10, max_size=80,
)


def fitting_actor(circuit: Circuit, run: StepRun) -> Actor:
    step = circuit.step(run.step_id)
    if not step.is_human:
        return SYSTEM
    if run.decided_by:  # the approver, so revocations get a chance
        return Actor(run.decided_by, frozenset({step.role or ""}))
    return Actor(f"{step.role}_user", frozenset({step.role or ""}))


def _expected_move(circuit: Circuit, run: StepRun) -> str:
    if circuit.step(run.step_id).is_human:
        return "receive" if run.has_open_request else "approve"
    return "complete" if run.state == StepState.RUNNING else "start"


def build(circuit: Circuit, kind: str, view: FileView, back: int, actor: Actor | None,
          reason: str | None,
          outcome: str | None, colleague: str, now) -> m.Command:
    """A command aimed at the current run, or `back` runs before it (to try stale targets)."""
    seqs = [r.seq for r in view.runs]
    if kind == "revoke":
        back += 1  # a revocation aims at the approval before the current step
    seq = seqs[max(0, len(seqs) - 1 - back)]
    if actor is FITTING:
        sweeping = kind in ("remind", "escalate", "cancel", "reopen")
        actor = SYSTEM if sweeping else fitting_actor(circuit, view.run(seq))
    if kind == "advance":
        kind = _expected_move(circuit, view.run(seq))
    return {
        "approve": lambda: m.Approve(seq, actor, reason, outcome),
        "reject": lambda: m.Reject(seq, actor, reason),  # type: ignore[arg-type]
        "revoke": lambda: m.Revoke(seq, actor, reason),  # type: ignore[arg-type]
        "delegate": lambda: m.Delegate(seq, actor, colleague, reason),
        "request": lambda: m.RequestDocument(seq, actor, reason or "Kbis",
                                             now + timedelta(days=8)),
        "receive": lambda: m.ReceiveDocument(actor, "scan.pdf"),
        "start": lambda: m.StartAutomatic(seq, actor),
        "complete": lambda: m.CompleteAutomatic(seq, actor, reason),
        "fail": lambda: m.FailAutomatic(seq, actor, reason),  # type: ignore[arg-type]
        "remind": lambda: m.Remind(seq, actor),
        "escalate": lambda: m.Escalate(seq, actor, colleague),
        "cancel": lambda: m.Cancel(actor, reason),  # type: ignore[arg-type]
        "reopen": lambda: m.Reopen(actor, _reopen_target(circuit, back), reason),  # type: ignore[arg-type]
    }[kind]()


def _reopen_target(circuit: Circuit, back: int) -> str:
    """Mostly a human step; sometimes an automatic or unknown one, which must be refused."""
    human = [s.id for s in circuit.steps if s.is_human]
    automatic = [s.id for s in circuit.steps if not s.is_human]
    return [human[-1], human[0], automatic[0]][back] if back < 3 else "nowhere"


def check_invariants(circuit: Circuit, view: FileView, reopened: frozenset[int] = frozenset()
                     ) -> None:
    runs = view.runs
    assert [r.seq for r in runs] == list(range(1, len(runs) + 1))
    active = [r for r in runs if r.state in ACTIVE_STEP_STATES]
    if view.is_open:
        assert len(active) == 1, "exactly one current step while open"
        assert active[0] is runs[-1], "the current step is the latest run"
        assert (view.state == FileState.WAITING_CUSTOMER) == active[0].has_open_request
        assert view.closed_at is None
    else:
        assert not active, "a closed file has no current step"
        assert view.closed_at is not None and view.outcome
    for run in runs:
        step = circuit.step(run.step_id)
        assert run.state in (HUMAN_STATES if step.is_human else AUTO_STATES)
        if run.state in ACTIVE_STEP_STATES:
            assert run.decided_by is None and run.decided_at is None
            expected = StepState.WAITING if step.is_human else {StepState.PENDING,
                                                                StepState.RUNNING}
            assert run.state == expected or run.state in expected  # type: ignore[operator]
        else:
            assert run.decided_by and run.decided_at and run.decision, "decider and time"
        if run.state in (StepState.REJECTED, StepState.FAILED, StepState.SKIPPED):
            assert run.reason and run.reason.strip(), "reject/fail/skip carry a reason"
        if run.escalated_at is not None:
            assert run.escalate_at is not None and run.escalated_at >= run.escalate_at
            assert run.escalated_to
        if run.reminded_at is not None:
            assert run.due_at is not None and run.reminded_at >= run.due_at
        if run.state == StepState.REVOKED:
            assert run.revoked_by and run.revoked_at and run.revoke_reason
        if run.state == StepState.RUNNING:
            assert run.started_at is not None
    for before, after in itertools.pairwise(runs):
        if after.seq in reopened:  # the file had closed on `before`'s approval, then reopened
            assert before.state == StepState.APPROVED
            assert CLOSE in circuit.step(before.step_id).approve_targets()
            assert circuit.step(after.step_id).is_human
        else:
            _check_succession(circuit, before, after, runs)


def _check_succession(circuit: Circuit, before: StepRun, after: StepRun,
                      runs: tuple[StepRun, ...]) -> None:
    step = circuit.step(before.step_id)
    if before.state == StepState.APPROVED:
        assert after.step_id in step.approve_targets()
    elif before.state == StepState.REJECTED:
        assert after.step_id == step.on_reject
    elif before.state == StepState.FAILED:
        assert after.step_id == step.on_failure
    elif before.state == StepState.REVOKED:
        assert after.state == StepState.SKIPPED
        assert after.step_id in step.approve_targets()
        again = runs[after.seq]  # the run after the skipped one
        assert again.step_id == before.step_id
    elif before.state == StepState.SKIPPED:
        assert runs[before.seq - 2].state == StepState.REVOKED  # skipped only by revocation


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuit=st.sampled_from(CIRCUITS), play=steps_of_play)
def test_random_decisions_keep_the_file_legal(circuit: Circuit, play: list) -> None:
    view = m.start(circuit, T0)
    check_invariants(circuit, view)
    now = T0
    reopened: set[int] = set()
    for kind, back, actor, reason, outcome, colleague, hours in play:
        now += timedelta(hours=hours)
        was_open = view.is_open
        command = build(circuit, kind, view, back, actor, reason, outcome, colleague, now)
        try:
            transition = m.decide(circuit, view, command, now)
        except LiasseError as error:
            if not was_open and not isinstance(command, m.Reopen):
                assert isinstance(error, IllegalTransition | ConflictError), "closed: nothing"
            continue
        if isinstance(command, m.Reopen):
            assert view.state == FileState.CLOSED_APPROVED, "only closed-approved files reopen"
            assert transition.view.state == FileState.IN_PROGRESS
            reopened.add(transition.view.runs[-1].seq)
        else:
            assert was_open, "a closed file accepted a command"
        _check_authorised(circuit, view, command)
        _check_history_kept(view, transition.view)
        view = transition.view
        check_invariants(circuit, view, frozenset(reopened))
        event(transition.event)
    event(f"final state {view.state.value}")


def _check_authorised(circuit: Circuit, view: FileView, command: m.Command) -> None:
    if isinstance(command, m.Approve | m.Reject | m.Delegate | m.RequestDocument):
        run = view.run(command.seq)
        step = circuit.step(run.step_id)
        actor = command.actor
        assert actor.is_admin or step.role in actor.roles or actor.login == run.assignee
    if isinstance(command, m.Reject | m.Revoke | m.Cancel | m.FailAutomatic | m.Reopen):
        assert command.reason and command.reason.strip()
    if isinstance(command, m.Reopen):
        assert command.actor.is_system or command.actor.roles & {"admin", "operator"}
        assert circuit.step(command.step_id).is_human


def _check_history_kept(before: FileView, after: FileView) -> None:
    """Decided runs never change, except an approval becoming revoked; runs never vanish."""
    assert len(after.runs) >= len(before.runs)
    for old, new in zip(before.runs, after.runs, strict=False):
        if old.state not in ACTIVE_STEP_STATES:
            if old.state == StepState.APPROVED and new.state == StepState.REVOKED:
                assert (new.decided_by, new.decided_at) == (old.decided_by, old.decided_at)
            else:
                assert new == old
