"""The customer-file state machine: pure rules, no I/O.

`start(circuit, at)` opens a file on the circuit's first step; `decide(circuit, view, command,
at)` applies one command (see `commands.py`) and returns the new view, or raises a domain error
naming the rule. `next_action(circuit, view)` tells a driver (the Prefect flow, the demo) what to
do next: run an automatic action, wait for a person, wait for the customer, or nothing (closed).
The service layer maps views to rows; this module never touches a database, a clock or a network.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from dossiers.circuits.schema import CLOSE, Circuit, StepDef
from dossiers.errors import (
    ConflictError,
    IllegalTransition,
    PermissionDenied,
    ValidationError,
)
from dossiers.files.commands import (
    Approve,
    AwaitCustomer,
    AwaitHuman,
    Cancel,
    Command,
    CompleteAutomatic,
    Delegate,
    Escalate,
    FailAutomatic,
    Finished,
    NextAction,
    ReceiveDocument,
    Reject,
    Remind,
    Reopen,
    RequestDocument,
    Revoke,
    RunAutomatic,
    StartAutomatic,
    Transition,
)
from dossiers.files.guards import (
    OPERATOR_ROLES,
    active_run,
    automatic_run,
    decidable_human,
    hold_in_place,
    may_decide,
    optional_reason,
    reopen_target,
    required_reason,
    run_or_raise,
    running_automatic,
    sla_run,
)
from dossiers.files.states import (
    DecisionKind,
    FileState,
    FileView,
    StepRun,
    StepState,
)

__all__ = [
    "Approve",
    "AwaitCustomer",
    "AwaitHuman",
    "Cancel",
    "Command",
    "CompleteAutomatic",
    "Delegate",
    "Escalate",
    "FailAutomatic",
    "Finished",
    "IllegalTransition",
    "NextAction",
    "ReceiveDocument",
    "Reject",
    "Remind",
    "Reopen",
    "RequestDocument",
    "Revoke",
    "RunAutomatic",
    "StartAutomatic",
    "Transition",
    "decide",
    "may_decide",
    "next_action",
    "start",
]


# --- public API ----------------------------------------------------------------------------
def start(circuit: Circuit, at: datetime) -> FileView:
    """A new file, on the circuit's first step."""
    return FileView(state=FileState.IN_PROGRESS, runs=(_new_run(circuit.first_step, 1, at),))


def next_action(circuit: Circuit, view: FileView) -> NextAction:
    if not view.is_open:
        return Finished(view.state, view.outcome)
    current = _current(view)
    step = circuit.step(current.step_id)
    if current.has_open_request:
        assert current.requested_document is not None
        return AwaitCustomer(current.seq, step.id, current.requested_document,
                             current.request_due_at)
    if step.is_human:
        assert step.role is not None
        return AwaitHuman(current.seq, step.id, step.role, current.assignee, current.due_at,
                          current.escalate_at)
    assert step.action is not None
    return RunAutomatic(current.seq, step.id, step.kind, step.action, dict(step.params),
                        claimed=current.state == StepState.RUNNING)


def decide(circuit: Circuit, view: FileView, command: Command, at: datetime) -> Transition:
    """Apply one command, or raise `IllegalTransition`, `ConflictError`, `PermissionDenied`
    or `ValidationError` and change nothing."""
    if isinstance(command, Reopen):  # the one command aimed at a closed file
        return _reopen(circuit, view, command, at)
    if not view.is_open:
        if isinstance(command, _ON_ACTIVE_RUN):
            # A late decider on a step someone else just decided learns who and when.
            active_run(view, command.seq)
        raise IllegalTransition(
            f"Le dossier est clos ({view.state.value}) : plus aucune décision n'est possible.",
            f"The file is closed ({view.state.value}): no further decision is possible.",
        )
    handler = _HANDLERS[type(command)]
    return handler(circuit, view, command, at)


# --- handlers ------------------------------------------------------------------------------
def _approve(circuit: Circuit, view: FileView, cmd: Approve, at: datetime) -> Transition:
    run, step = decidable_human(circuit, view, cmd.seq, cmd.actor)
    hold_in_place(circuit, view, step)
    if run.has_open_request:
        raise IllegalTransition(
            f"L'étape « {step.id} » attend le document « {run.requested_document} » du client : "
            "elle ne peut pas être approuvée avant sa réception.",
            f"Step '{step.id}' waits for the customer's document '{run.requested_document}': "
            "it cannot be approved before it arrives.",
        )
    target = _approval_target(step, cmd.outcome)
    decided = replace(run, state=StepState.APPROVED, decided_by=cmd.actor.login, decided_at=at,
                      decision=DecisionKind.APPROVE, reason=optional_reason(cmd.reason),
                      outcome=cmd.outcome)
    return Transition(_advance(circuit, view, decided, target, at, approved=True), "step.approved")


def _reject(circuit: Circuit, view: FileView, cmd: Reject, at: datetime) -> Transition:
    run, step = decidable_human(circuit, view, cmd.seq, cmd.actor)
    hold_in_place(circuit, view, step)
    reason = required_reason(cmd.reason, "rejet", "rejection")
    assert step.on_reject is not None
    decided = replace(run, state=StepState.REJECTED, decided_by=cmd.actor.login, decided_at=at,
                      decision=DecisionKind.REJECT, reason=reason)
    new_view = _advance(circuit, view, decided, step.on_reject, at, approved=False)
    return Transition(new_view, "step.rejected")


def _revoke(circuit: Circuit, view: FileView, cmd: Revoke, at: datetime) -> Transition:
    reason = required_reason(cmd.reason, "révocation", "revocation")
    approved = run_or_raise(view, cmd.seq)
    if approved.state != StepState.APPROVED or approved.decision != DecisionKind.APPROVE:
        raise IllegalTransition(
            f"L'étape « {approved.step_id} » n'est pas une approbation humaine : rien à révoquer.",
            f"Step '{approved.step_id}' is not a human approval: nothing to revoke.",
        )
    if not (cmd.actor.is_admin or cmd.actor.login == approved.decided_by):
        raise PermissionDenied(
            f"Seul {approved.decided_by} (ou un administrateur) peut révoquer cette approbation.",
            f"Only {approved.decided_by} (or an administrator) may revoke this approval.",
        )
    following = _current(view)
    started = following.state == StepState.RUNNING or following.has_open_request
    # An approval that closed the file is final: a reopened file's new run did not follow from it.
    reopened = following.step_id not in circuit.step(approved.step_id).approve_targets()
    if following.seq != approved.seq + 1 or started or reopened:
        raise IllegalTransition(
            f"L'approbation de « {approved.step_id} » ne peut plus être révoquée : "
            "l'étape suivante a déjà commencé.",
            f"The approval of '{approved.step_id}' can no longer be revoked: "
            "the next step has already started.",
        )
    skipped = replace(following, state=StepState.SKIPPED, decided_by=cmd.actor.login,
                      decided_at=at, decision=DecisionKind.SKIP, reason=reason)
    revoked = replace(approved, state=StepState.REVOKED, revoked_by=cmd.actor.login,
                      revoked_at=at, revoke_reason=reason)
    again = _new_run(circuit.step(approved.step_id), following.seq + 1, at)
    runs = (*_replaced(view.runs, revoked, skipped), again)
    return Transition(replace(view, runs=runs), "step.approval_revoked")


def _delegate(circuit: Circuit, view: FileView, cmd: Delegate, at: datetime) -> Transition:
    run, step = decidable_human(circuit, view, cmd.seq, cmd.actor)
    to_login = cmd.to_login.strip()
    if not to_login:
        raise ValidationError("Indiquez à qui déléguer l'étape.", "Say whom to delegate to.")
    if to_login == (run.assignee or cmd.actor.login):
        raise IllegalTransition(
            f"L'étape « {step.id} » est déjà confiée à {to_login}.",
            f"Step '{step.id}' is already assigned to {to_login}.",
        )
    delegated = replace(run, assignee=to_login)
    return Transition(replace(view, runs=_replaced(view.runs, delegated)), "step.delegated")


def _request_document(
    circuit: Circuit, view: FileView, cmd: RequestDocument, at: datetime
) -> Transition:
    run, _step = decidable_human(circuit, view, cmd.seq, cmd.actor)
    document = cmd.document.strip()
    if not document:
        raise ValidationError("Nommez le document demandé au client.",
                              "Name the document requested from the customer.")
    if run.has_open_request:
        raise IllegalTransition(
            f"Le document « {run.requested_document} » est déjà demandé au client.",
            f"Document '{run.requested_document}' is already requested from the customer.",
        )
    if cmd.due_at <= at:
        raise ValidationError("La date limite de la demande doit être dans le futur.",
                              "The request's due date must be in the future.")
    asked = replace(run, requested_document=document, request_due_at=cmd.due_at,
                    request_received_at=None)
    new_view = replace(view, state=FileState.WAITING_CUSTOMER, runs=_replaced(view.runs, asked))
    return Transition(new_view, "step.document_requested")


def _receive_document(
    circuit: Circuit, view: FileView, cmd: ReceiveDocument, at: datetime
) -> Transition:
    run = _current(view)
    if not run.has_open_request:
        raise IllegalTransition("Aucun document n'est attendu du client pour ce dossier.",
                                "No document is expected from the customer for this file.")
    received = replace(run, request_received_at=at)
    new_view = replace(view, state=FileState.IN_PROGRESS, runs=_replaced(view.runs, received))
    return Transition(new_view, "step.document_received")


def _start_automatic(
    circuit: Circuit, view: FileView, cmd: StartAutomatic, at: datetime
) -> Transition:
    run, _step = automatic_run(circuit, view, cmd.seq, cmd.actor)
    if run.state != StepState.PENDING:
        raise ConflictError(
            f"L'étape automatique « {run.step_id} » est déjà en cours.",
            f"Automatic step '{run.step_id}' is already running.",
        )
    claimed = replace(run, state=StepState.RUNNING, started_at=at)
    return Transition(replace(view, runs=_replaced(view.runs, claimed)), "step.started")


def _complete_automatic(
    circuit: Circuit, view: FileView, cmd: CompleteAutomatic, at: datetime
) -> Transition:
    run, step = running_automatic(circuit, view, cmd.seq, cmd.actor)
    assert step.on_approve is not None
    done = replace(run, state=StepState.APPROVED, decided_by=cmd.actor.login, decided_at=at,
                   decision=DecisionKind.COMPLETE, reason=optional_reason(cmd.note))
    return Transition(_advance(circuit, view, done, step.on_approve, at, approved=True),
                      "step.completed")


def _fail_automatic(
    circuit: Circuit, view: FileView, cmd: FailAutomatic, at: datetime
) -> Transition:
    run, step = running_automatic(circuit, view, cmd.seq, cmd.actor)
    reason = required_reason(cmd.reason, "échec", "failure")
    assert step.on_failure is not None
    failed = replace(run, state=StepState.FAILED, decided_by=cmd.actor.login, decided_at=at,
                     decision=DecisionKind.FAIL, reason=reason)
    return Transition(_advance(circuit, view, failed, step.on_failure, at, approved=False),
                      "step.failed")


def _remind(circuit: Circuit, view: FileView, cmd: Remind, at: datetime) -> Transition:
    run = sla_run(circuit, view, cmd.seq, cmd.actor)
    if run.due_at is None or at < run.due_at:
        raise IllegalTransition(
            f"L'étape « {run.step_id} » n'est pas en retard : pas de relance.",
            f"Step '{run.step_id}' is not overdue: no reminder.",
        )
    return Transition(replace(view, runs=_replaced(view.runs, replace(run, reminded_at=at))),
                      "step.reminded")


def _escalate(circuit: Circuit, view: FileView, cmd: Escalate, at: datetime) -> Transition:
    run = sla_run(circuit, view, cmd.seq, cmd.actor)
    if run.escalated_at is not None:
        raise ConflictError(
            f"L'étape « {run.step_id} » a déjà été remontée à {run.escalated_to}.",
            f"Step '{run.step_id}' was already escalated to {run.escalated_to}.",
        )
    if run.escalate_at is None or at < run.escalate_at:
        raise IllegalTransition(
            f"L'étape « {run.step_id} » n'a pas atteint son délai d'escalade.",
            f"Step '{run.step_id}' has not reached its escalation delay.",
        )
    to_login = cmd.to_login.strip()
    if not to_login:
        raise ValidationError("Indiquez à qui remonter l'étape.", "Say whom to escalate to.")
    escalated = replace(run, assignee=to_login, escalated_at=at, escalated_to=to_login)
    return Transition(replace(view, runs=_replaced(view.runs, escalated)), "step.escalated")


def _cancel(circuit: Circuit, view: FileView, cmd: Cancel, at: datetime) -> Transition:
    if not (cmd.actor.is_system or cmd.actor.roles & OPERATOR_ROLES):
        raise PermissionDenied(
            "Seuls un administrateur ou un opérateur peuvent annuler un dossier.",
            "Only an administrator or an operator may cancel a file.",
        )
    reason = required_reason(cmd.reason, "annulation", "cancellation")
    run = _current(view)
    skipped = replace(run, state=StepState.SKIPPED, decided_by=cmd.actor.login, decided_at=at,
                      decision=DecisionKind.SKIP, reason=reason)
    closed = replace(view, state=FileState.CANCELLED, runs=_replaced(view.runs, skipped),
                     outcome="cancelled", closed_at=at)
    return Transition(closed, "file.cancelled")


def _reopen(circuit: Circuit, view: FileView, cmd: Reopen, at: datetime) -> Transition:
    """A new waiting run at the human step, carrying the reason for whoever decides it."""
    step = reopen_target(circuit, view, cmd.actor, cmd.step_id)
    reason = required_reason(cmd.reason, "retour du dossier dans son circuit", "file reopening")
    again = replace(_new_run(step, max(r.seq for r in view.runs) + 1, at), reason=reason)
    reopened = replace(view, state=FileState.IN_PROGRESS, runs=(*view.runs, again), outcome=None,
                       closed_at=None)
    return Transition(reopened, "file.reopened")


_ON_ACTIVE_RUN = (Approve, Reject, Delegate, RequestDocument, StartAutomatic, CompleteAutomatic,
                  FailAutomatic, Remind, Escalate)

_HANDLERS: dict[type, Any] = {
    Approve: _approve,
    Reject: _reject,
    Revoke: _revoke,
    Delegate: _delegate,
    RequestDocument: _request_document,
    ReceiveDocument: _receive_document,
    StartAutomatic: _start_automatic,
    CompleteAutomatic: _complete_automatic,
    FailAutomatic: _fail_automatic,
    Remind: _remind,
    Escalate: _escalate,
    Cancel: _cancel,
}


# --- helpers -------------------------------------------------------------------------------
def _new_run(step: StepDef, seq: int, at: datetime) -> StepRun:
    def after(hours: int | None) -> datetime | None:
        return at + timedelta(hours=hours) if hours is not None else None

    return StepRun(
        seq=seq,
        step_id=step.id,
        state=StepState.WAITING if step.is_human else StepState.PENDING,
        activated_at=at,
        role=step.role,
        due_at=after(step.sla_hours),
        escalate_at=after(step.escalate_after_hours),
    )


def _advance(circuit: Circuit, view: FileView, decided: StepRun, target: str, at: datetime,
             *, approved: bool) -> FileView:
    runs = _replaced(view.runs, decided)
    if target == CLOSE:
        state = FileState.CLOSED_APPROVED if approved else FileState.CLOSED_REJECTED
        # A file closed by approval carries the last named outcome chosen on the way (disputes).
        named = [r.outcome for r in runs if r.state == StepState.APPROVED and r.outcome]
        outcome = (named[-1] if named else "approved") if approved else "rejected"
        return replace(view, state=state, runs=runs, outcome=outcome, closed_at=at)
    following = _new_run(circuit.step(target), max(r.seq for r in runs) + 1, at)
    return replace(view, state=FileState.IN_PROGRESS, runs=(*runs, following))


def _replaced(runs: tuple[StepRun, ...], *changed: StepRun) -> tuple[StepRun, ...]:
    by_seq = {r.seq: r for r in changed}
    return tuple(by_seq.get(r.seq, r) for r in runs)


def _current(view: FileView) -> StepRun:
    current = view.current
    if current is None:  # an open file always has one; a broken row set is a bug, not input
        raise IllegalTransition("Le dossier n'a pas d'étape en cours.",
                                "The file has no current step.")
    return current


def _approval_target(step: StepDef, outcome: str | None) -> str:
    if step.outcomes:
        if outcome not in step.outcomes:
            choices = ", ".join(step.outcomes)
            raise ValidationError(
                f"Choisissez l'issue de l'étape « {step.id} » parmi : {choices}.",
                f"Choose the outcome of step '{step.id}' among: {choices}.",
            )
        return step.outcomes[outcome]
    if outcome is not None:
        raise ValidationError(
            f"L'étape « {step.id} » n'a pas d'issues nommées (reçu « {outcome} »).",
            f"Step '{step.id}' has no named outcomes (got '{outcome}').",
        )
    assert step.on_approve is not None
    return step.on_approve


