"""The tasks of the customer-file flow: one task per document step, never one per row.

Each task is idempotent by construction (the domain or the mail ledger remembers what was done),
so Prefect retries and the re-run-from-the-top after a resume never duplicate a document, a mail
or a deposit. No result persistence or caching is needed for that: see docs/prefect.md.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.mail.alerts import StepAlert, alert_key, build_step_alert
from flows.file_engine_protocol import AlertContext, StepDecision, WaitHuman
from flows.runtime import current_runtime


@task(name="automatic-step", retries=3, retry_delay_seconds=[5, 30, 120], cache_policy=NO_CACHE)
def run_automatic_step(file_id: str, step_run_id: str, action: str, params: dict[str, Any]) -> None:
    current_runtime().file_engine.run_automatic(file_id, step_run_id, action, params)


@task(name="apply-decision", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def apply_decision(file_id: str, decision: StepDecision) -> None:
    current_runtime().file_engine.apply_decision(file_id, decision)


def deliver_alert(alert: StepAlert, context: AlertContext, key_suffix: str = "") -> str:
    """Build and send one step alert (new, reminder or escalation); returns the Message-ID."""
    runtime = current_runtime()
    message = build_step_alert(
        alert,
        context.recipients,
        secret=runtime.secret,
        base_url=runtime.flow_settings.public_url,
        link_valid_hours=runtime.flow_settings.alert_link_hours,
        language=context.language,
    )
    return runtime.mailer.send(message, alert_key(alert, key_suffix))


@task(name="step-alert", retries=3, retry_delay_seconds=[10, 60, 300], cache_policy=NO_CACHE)
def send_step_alert(file_id: str, wait: WaitHuman) -> str:
    """Alert the deciding role; idempotent by step run (a re-run never sends a second mail)."""
    context = current_runtime().file_engine.alert_context(file_id, wait.step_run_id)
    alert = StepAlert(
        file_id=file_id,
        file_label=context.file_label,
        step_id=wait.step_run_id,
        step_label=context.step_label,
        role=wait.role,
        due_at=wait.due_at,
    )
    return deliver_alert(alert, context)
