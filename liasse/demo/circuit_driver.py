"""Driving a customer file through its circuit, as the customer-file flow does: ask the domain
what the file waits for (`plan_next`), then decide a human step or run an automatic one with the
product's handlers (`flows.file_engine.DbFileEngine.run_automatic` over `flows.actions`).

Each decision is one transaction through `dossiers.files.service` (checked, audited); a waiting
human step gets its alert e-mail (signed link) in the outbox, like the flow would send.
"""

from __future__ import annotations

from connectors.mail import make_mailer
from connectors.mail.alerts import StepAlert, alert_key, build_step_alert
from dossiers.blobs import BlobStore
from dossiers.customers.models import Customer
from dossiers.files import queries, service
from dossiers.files.documents import attach_document
from dossiers.files.state_machine import AwaitHuman, Finished, RunAutomatic
from dossiers.files.states import StepState
from dossiers.i18n import current_language, tr
from dossiers.staff.service import users_with_role
from flows.file_engine import DbFileEngine
from liasse.demo.context import Demo
from liasse.demo.invoice_pipeline import actions
from liasse.settings import get_settings


def step_label(demo: Demo, file_id: int, step_id: str) -> str:
    with demo.factory() as s:
        definition = service.circuit_of(s, service.get_file(s, file_id)).step(step_id)
    return tr(definition.label.fr, definition.label.en)


def current(demo: Demo, file_id: int) -> queries.PlannedAction:
    with demo.factory() as s:
        return queries.plan_next(s, file_id)


def attach(demo: Demo, file_id: int, kind: str, name: str, data: bytes, by: str) -> None:
    store = BlobStore(get_settings().blob_dir)
    with demo.tx() as s:
        document = attach_document(s, store, file_id, data=data, original_name=name, kind=kind,
                                   uploaded_by=by, max_bytes=get_settings().max_upload_bytes)
        digest, media_type = document.sha256[:12], document.media_type
    demo.detail(tr(f"pièce jointe « {name} » acceptée ({media_type}, {len(data)} o, "
                   f"sha256 {digest}…)",
                   f"attachment '{name}' accepted ({media_type}, {len(data)} B, "
                   f"sha256 {digest}…)"))


def decide(demo: Demo, file_id: int, login: str, *, approve: bool,
           reason: str | None = None) -> None:
    """Approve or reject the human step the file waits on, as `login`."""
    planned = current(demo, file_id)
    assert isinstance(planned.action, AwaitHuman), planned.action
    label = step_label(demo, file_id, planned.action.step_id)
    with demo.tx() as s:
        if approve:
            service.approve(s, planned.step_row_id, login, reason=reason)
        else:
            service.reject(s, planned.step_row_id, login, reason=reason or "")
    if approve:
        demo.ok(f"dossier {file_id} — {label} : approuvé par {login}",
                f"file {file_id} — {label}: approved by {login}")
    else:
        demo.console.print("  [yellow]↩[/] " + tr(
            f"dossier {file_id} — {label} : rejeté par {login} (motif : {reason})",
            f"file {file_id} — {label}: rejected by {login} (reason: {reason})"),
            highlight=False)
    announce(demo, file_id)


def engine(demo: Demo) -> DbFileEngine:
    """The product's file engine on the demo's database (no Prefect run: the demo drives)."""
    if demo.engine is None:
        demo.engine = DbFileEngine(demo.factory, actions(demo), resume=lambda *_: None)
    return demo.engine


def run_automatic(demo: Demo, file_id: int, action: str) -> str:
    """Run the automatic step the file is on with the product's handler (what the flow's task
    does); print and return its note. A failed step raises, a started signature returns."""
    planned = current(demo, file_id)
    step = planned.action
    assert isinstance(step, RunAutomatic) and step.action == action, step
    label = step_label(demo, file_id, step.step_id)
    params = {"kind": step.kind, "step_id": step.step_id, **step.params}
    engine(demo).run_automatic(str(file_id), str(planned.step_row_id), action, params)
    with demo.factory() as s:
        row = service.get_step(s, planned.step_row_id or 0)
        state, note = row.state, row.reason or ""
    if state == StepState.FAILED:
        raise RuntimeError(f"{label}: {note}")
    if state == StepState.RUNNING:
        return note
    demo.ok(f"dossier {file_id} — {label} : {note}", f"file {file_id} — {label}: {note}")
    announce(demo, file_id)
    return note


def announce(demo: Demo, file_id: int) -> None:
    """Say what the file waits for now; a human step gets its alert e-mail."""
    planned = current(demo, file_id)
    action = planned.action
    if isinstance(action, Finished):
        demo.detail(tr(f"dossier {file_id} terminé : {action.state.value}",
                       f"file {file_id} finished: {action.state.value}"))
    elif isinstance(action, AwaitHuman):
        recipients = send_alert(demo, file_id, planned.step_row_id, action)
        demo.detail(tr(f"attend la décision du rôle {action.role} — alerte envoyée à "
                       f"{', '.join(recipients)}",
                       f"waits for role {action.role} — alert sent to {', '.join(recipients)}"))


def send_alert(demo: Demo, file_id: int, step_row_id: int | None,
               action: AwaitHuman) -> list[str]:
    with demo.factory() as s:
        recipients = [u.email for u in users_with_role(s, action.role)]
        file = service.get_file(s, file_id)
        customer = s.get(Customer, file.customer_id)
        file_label = f"{file_id} — {customer.display_name if customer else '?'}"
    if not recipients:
        return []
    alert = StepAlert(file_id=str(file_id), file_label=file_label, step_id=str(step_row_id),
                      step_label=step_label(demo, file_id, action.step_id), role=action.role,
                      due_at=action.due_at)
    settings = get_settings()
    message = build_step_alert(alert, recipients, secret=settings.resolved_secret_key(),
                               base_url="http://127.0.0.1:8000", link_valid_hours=72,
                               language=current_language())
    make_mailer(demo.factory, demo.outbox_dir).send(message, alert_key(alert))
    return recipients
