"""The checks every command starts with: is the step active, may this actor act, is there a
reason. Shared by the handlers of `state_machine`; pure, like it.
"""

from __future__ import annotations

from dossiers.circuits.schema import Circuit, StepDef
from dossiers.errors import (
    ConflictError,
    IllegalTransition,
    PermissionDenied,
    ValidationError,
)
from dossiers.files.states import Actor, FileState, FileView, StepRun, StepState

MAX_REASON = 2000
OPERATOR_ROLES = frozenset({"admin", "operator"})


def may_decide(step: StepDef, run: StepRun, actor: Actor) -> bool:
    """Admins decide anything; otherwise the step's role, or the colleague it was delegated to."""
    if actor.is_system:
        return False
    return actor.is_admin or step.role in actor.roles or actor.login == run.assignee


def run_or_raise(view: FileView, seq: int) -> StepRun:
    try:
        return view.run(seq)
    except KeyError:
        raise IllegalTransition(f"Ce dossier n'a pas d'étape n°{seq}.",
                                f"This file has no step #{seq}.") from None


def active_run(view: FileView, seq: int) -> StepRun:
    run = run_or_raise(view, seq)
    if not run.is_active:
        who = f" par {run.decided_by}" if run.decided_by else ""
        who_en = f" by {run.decided_by}" if run.decided_by else ""
        when = f" le {run.decided_at:%Y-%m-%d %H:%M:%S} UTC" if run.decided_at else ""
        when_en = f" on {run.decided_at:%Y-%m-%d %H:%M:%S} UTC" if run.decided_at else ""
        raise ConflictError(
            f"L'étape « {run.step_id} » a déjà été traitée ({run.state.value}){who}{when}.",
            f"Step '{run.step_id}' was already handled ({run.state.value}){who_en}{when_en}.",
        )
    return run


def decidable_human(
    circuit: Circuit, view: FileView, seq: int, actor: Actor
) -> tuple[StepRun, StepDef]:
    run = active_run(view, seq)
    step = circuit.step(run.step_id)
    if not step.is_human:
        raise IllegalTransition(
            f"L'étape « {step.id} » est automatique : une personne ne la décide pas.",
            f"Step '{step.id}' is automatic: no person decides it.",
        )
    if not may_decide(step, run, actor):
        raise PermissionDenied(
            f"{actor.login} n'a pas le rôle « {step.role} » requis pour l'étape « {step.id} ».",
            f"{actor.login} lacks the role '{step.role}' required for step '{step.id}'.",
        )
    return run, step


def automatic_run(
    circuit: Circuit, view: FileView, seq: int, actor: Actor
) -> tuple[StepRun, StepDef]:
    run = active_run(view, seq)
    step = circuit.step(run.step_id)
    if step.is_human:
        raise IllegalTransition(
            f"L'étape « {step.id} » attend une décision humaine, pas un traitement automatique.",
            f"Step '{step.id}' waits for a human decision, not an automatic run.",
        )
    if not (actor.is_system or actor.roles & OPERATOR_ROLES):
        raise PermissionDenied(
            f"Seul le système (ou un opérateur) fait avancer l'étape automatique « {step.id} ».",
            f"Only the system (or an operator) moves automatic step '{step.id}' on.",
        )
    return run, step


def running_automatic(
    circuit: Circuit, view: FileView, seq: int, actor: Actor
) -> tuple[StepRun, StepDef]:
    run, step = automatic_run(circuit, view, seq, actor)
    if run.state != StepState.RUNNING:
        raise IllegalTransition(
            f"L'étape automatique « {step.id} » n'a pas été démarrée.",
            f"Automatic step '{step.id}' has not been started.",
        )
    return run, step


def sla_run(circuit: Circuit, view: FileView, seq: int, actor: Actor) -> StepRun:
    run = active_run(view, seq)
    if not circuit.step(run.step_id).is_human:
        raise IllegalTransition(
            f"L'étape « {run.step_id} » est automatique : pas de relance ni d'escalade.",
            f"Step '{run.step_id}' is automatic: no reminder or escalation.",
        )
    if not (actor.is_system or actor.roles & OPERATOR_ROLES):
        raise PermissionDenied("Seul le système (ou un opérateur) relance ou remonte une étape.",
                               "Only the system (or an operator) reminds or escalates a step.")
    return run


def required_reason(reason: str | None, what_fr: str, what_en: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError(f"Un motif est obligatoire pour un {what_fr}.",
                              f"A reason is required for a {what_en}.")
    return bounded(cleaned)


def optional_reason(reason: str | None) -> str | None:
    cleaned = (reason or "").strip()
    return bounded(cleaned) if cleaned else None


def bounded(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Le motif dépasse {MAX_REASON} caractères.",
                              f"The reason exceeds {MAX_REASON} characters.")
    return reason


def hold_in_place(circuit: Circuit, view: FileView, step: StepDef) -> None:
    """A dispute is decided only once its legal hold is in place.

    In a circuit with a `legal_hold` step, a human `dispute` step (the review) can be approved
    or rejected only if the file's latest run of that step completed; a step whose decision runs
    the hold again (`hold_missing`) is the exception. Pure: it reads the file's runs.
    """
    holds = [s for s in circuit.steps if s.action == "legal_hold"]
    hold_ids = {h.id for h in holds}
    retries = hold_ids & {*step.approve_targets(), step.on_reject}
    if not holds or step.kind != "dispute" or retries:
        return
    runs = [r for r in view.runs if r.step_id in hold_ids]
    latest = max(runs, key=lambda r: r.seq) if runs else None
    if latest is None or latest.state != StepState.APPROVED:
        found = latest.state.value if latest is not None else "absent"
        raise IllegalTransition(
            f"Le gel juridique des pièces n'est pas en place (étape « legal_hold » : {found}) : "
            f"l'étape « {step.id} » ne peut pas être décidée avant.",
            f"The legal hold is not in place (step 'legal_hold': {found}): "
            f"step '{step.id}' cannot be decided before it is.",
        )


def reopen_target(circuit: Circuit, view: FileView, actor: Actor, step_id: str) -> StepDef:
    """The human step a closed file may be reopened at, by whom, from which closure.

    Only a file closed by approval reopens: a rejected or cancelled file was a decision against
    it, and undoing that is a new file, not a reopening. Only at a human step, so a person looks
    at the problem before any automatic step runs again.
    """
    if not (actor.is_system or actor.roles & OPERATOR_ROLES):
        raise PermissionDenied(
            "Seuls le système, un opérateur ou un administrateur peuvent rouvrir un dossier.",
            "Only the system, an operator or an administrator may reopen a file.",
        )
    if view.is_open:
        raise IllegalTransition(
            f"Le dossier n'est pas clos ({view.state.value}) : rien à rouvrir.",
            f"The file is not closed ({view.state.value}): nothing to reopen.",
        )
    if view.state != FileState.CLOSED_APPROVED:
        raise IllegalTransition(
            f"Seul un dossier clos approuvé se rouvre ; celui-ci est {view.state.value}.",
            f"Only a file closed as approved can be reopened; this one is {view.state.value}.",
        )
    try:
        step = circuit.step(step_id)
    except KeyError:
        raise ValidationError(
            f"Le circuit « {circuit.name} » de ce dossier n'a pas d'étape « {step_id} ».",
            f"This file's circuit '{circuit.name}' has no step '{step_id}'.",
        ) from None
    if not step.is_human:
        raise IllegalTransition(
            f"L'étape « {step.id} » est automatique : un dossier ne se rouvre que sur une "
            "étape humaine.",
            f"Step '{step.id}' is automatic: a file reopens only at a human step.",
        )
    return step
