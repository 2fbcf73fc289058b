"""The customer-file flow: one flow run per file, driven by the domain's `next_action`.

Loop: ask the domain what comes next and do it -- run an automatic step as a task, or alert
the deciding role and *suspend* (`suspend_flow_run`: the process exits, nothing is held while a
human decides). The portal or the CLI resumes the run with a `StepDecision`; Prefect then starts
the flow again *from the top*, and the loop simply asks the domain again. Steps already done are
skipped because the database says so, not because Prefect cached anything; the suspension of an
already-decided step run returns its stored input at once (same key), so a replay is cheap.

Timeouts are not used for SLAs: a suspended run with a timeout *fails* when it expires. SLA
reminders and escalations are a separate scheduled flow over the database (`flows.sla`).
"""

from __future__ import annotations

import hashlib
import re

from prefect import flow, get_run_logger
from prefect.flow_runs import suspend_flow_run

from flows.file_engine_protocol import Automatic, Done, StepDecision, WaitCustomer, WaitHuman
from flows.runtime import current_runtime
from flows.tasks import apply_decision, run_automatic_step, send_step_alert

RECONCILE_ACTOR = "system:reconcile"  # see flows.control.resume_stale_runs
MAX_ACTIONS_PER_RUN = 200  # a circuit that loops more than this is a bug, not a workload


def suspension_key(step_run_id: str) -> str:
    """The suspend key of a step run; `flows.control` checks it before resuming.

    Prefect builds flow-run-input keys from it, which accept only lowercase letters, digits and
    dashes -- and it validates them only *after* the run is already Suspended, leaving a run
    that can never be resumed. Hence a slug plus a hash of the exact id.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", step_run_id.lower()).strip("-")[:40]
    digest = hashlib.sha256(step_run_id.encode()).hexdigest()[:8]
    return f"step-{slug}-{digest}"


def run_until_wait(file_id: str) -> WaitHuman | WaitCustomer | Done:
    """Run automatic steps until the file waits for someone (alerted) or is done."""
    engine = current_runtime().file_engine
    for _ in range(MAX_ACTIONS_PER_RUN):
        action = engine.next_action(file_id)
        if isinstance(action, Automatic):
            run_automatic_step.with_options(task_run_name=f"{action.action}-{action.step_run_id}")(
                file_id, action.step_run_id, action.action, action.params
            )
            continue
        if isinstance(action, WaitHuman):
            send_step_alert.with_options(task_run_name=f"alert-{action.step_run_id}")(
                file_id, action
            )
        return action
    raise RuntimeError(f"file {file_id}: more than {MAX_ACTIONS_PER_RUN} actions in one run")


@flow(name="customer-file", flow_run_name="file-{file_id}", log_prints=True)
def customer_file(file_id: str) -> str:
    """Drive one customer file through its circuit until it is done; returns the outcome."""
    logger = get_run_logger()
    decided: set[str] = set()
    for _ in range(MAX_ACTIONS_PER_RUN):
        action = run_until_wait(file_id)
        if isinstance(action, Done):
            logger.info("File %s finished: %s", file_id, action.outcome)
            return action.outcome
        decision = suspend_flow_run(
            wait_for_input=StepDecision, key=suspension_key(action.step_run_id)
        )
        if decision.actor == RECONCILE_ACTOR:
            # `resume_stale_runs` only wakes runs whose step the database moved past, so the
            # replayed loop never comes back to this key; if it does, stop rather than spin.
            raise RuntimeError(f"file {file_id} still waits on {action.step_run_id!r}")
        if decision.step_run_id != action.step_run_id:
            # `flows.control.resume_step` prevents this; a hand-made resume (Prefect UI, REST)
            # may not. The key is spent, so fail loudly: nothing was applied, the database is
            # unchanged, and `flows.control.start_file` starts a fresh run that reconciles.
            raise ValueError(
                f"decision for step run {decision.step_run_id!r} but file {file_id} "
                f"waits on {action.step_run_id!r}; nothing applied"
            )
        if action.step_run_id in decided:
            # A spent key replays its input forever: the domain must give every new wait a new
            # step_run_id (see flows.file_engine_protocol). Stop instead of re-applying the
            # same decision.
            raise RuntimeError(f"file {file_id} waits again on decided {action.step_run_id!r}")
        apply_decision.with_options(task_run_name=f"decision-{action.step_run_id}")(
            file_id, decision
        )
        decided.add(action.step_run_id)
    raise RuntimeError(f"file {file_id}: more than {MAX_ACTIONS_PER_RUN} decisions in one run")


@flow(name="advance-file", flow_run_name="advance-{file_id}", log_prints=True)
def advance_file(file_id: str) -> str:
    """The event-driven alternative: one short run per event, no suspended run at all.

    The portal or CLI records the decision in the database, then triggers this deployment;
    the run does the automatic steps, alerts the next role and ends. Returns `waiting:<step>`
    or the file's outcome. Two triggers for one file may overlap: the domain must claim an
    automatic step before running it (`dossiers.files.service.claim_automatic`).
    """
    action = run_until_wait(file_id)
    if isinstance(action, Done):
        return action.outcome
    return f"waiting:{action.step_run_id}"
