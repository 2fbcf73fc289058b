"""The SLA-reminder flow: scheduled (hourly), it reminds and escalates overdue human steps.

It reads the database (`SlaSource.overdue_steps`), not Prefect: a suspended flow run knows
nothing about deadlines. One task per overdue step; each mail is idempotent by (step run, kind,
ordinal), so a re-run of the same hour sends nothing twice, and the domain records each
reminder in the audit trail. The same hourly run wakes stale suspended runs
(`flows.control.resume_stale_runs`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from connectors.mail.alerts import StepAlert
from flows.control import resume_stale_runs
from flows.file_engine_protocol import OverdueStep
from flows.runtime import current_runtime
from flows.tasks import deliver_alert


@task(name="sla-reminder", retries=3, retry_delay_seconds=[10, 60, 300], cache_policy=NO_CACHE)
def send_reminder(step: OverdueStep) -> str:
    runtime = current_runtime()
    alert = StepAlert(
        file_id=step.file_id,
        file_label=step.context.file_label,
        step_id=step.step_run_id,
        step_label=step.context.step_label,
        role=step.role,
        due_at=step.due_at,
        kind=step.kind,
    )
    message_id = deliver_alert(alert, step.context, key_suffix=str(step.ordinal))
    assert runtime.sla_source is not None
    runtime.sla_source.record_reminder(step, message_id)
    return message_id


@task(name="resume-stale-runs", cache_policy=NO_CACHE)
def wake_stale_runs() -> int:
    """Wake suspended runs whose step was decided behind their back (docs/prefect.md, race)."""
    return len(resume_stale_runs(current_runtime().file_engine))


@task(name="start-reopened-runs", cache_policy=NO_CACHE)
def start_reopened() -> int:
    """Start runs for files reopened while Prefect was unreachable (e.g. a Chorus rejection)."""
    from flows.actions.chorus_problems import start_reopened_runs

    return start_reopened_runs(current_runtime().session_factory)


@flow(name="sla-reminders")
def sla_reminders(now: datetime | None = None, reconcile: bool = True) -> int:
    """Send every due reminder and escalation; returns how many steps were overdue.

    With `reconcile`, first wakes suspended customer-file runs the database has moved past and
    starts runs for files reopened while Prefect was down.
    """
    if reconcile:
        wake_stale_runs()
        start_reopened()
    source = current_runtime().sla_source
    if source is None:
        raise RuntimeError("no SLA source configured (LIASSE_SLA_SOURCE)")
    overdue = source.overdue_steps(now or datetime.now(UTC))
    for future in [send_reminder.submit(step) for step in overdue]:
        future.result()
    return len(overdue)
