"""Driving customer files the way the product does: through their Prefect flow runs.

Each file gets one run of the `customer-file` deployment (`flows.control.start_file`), served
by `flows.serve` in a child process (`liasse.demo.orchestration`). The run does the automatic
steps as Prefect tasks, sends the alert of each human step and suspends. A decision is what the
portal or `liasse flow decide` does: record it through the domain, then resume the run
(`flows.control.resume_step`). The demo then waits until the run is suspended on what the
database says the file waits for next (or has finished), and tells what happened: the steps the
flow ran, the alert it sent, the run's page in the Prefect UI.
"""

from __future__ import annotations

import time

from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from sqlalchemy import select

from application.settings import Settings
from connectors.mail.alerts import step_alert_key
from connectors.mail.models import SentMail
from connectors.mail.outbox import outbox_file_name
from dossiers.blobs import BlobStore
from dossiers.files import queries, service
from dossiers.files.documents import attach_document
from dossiers.files.models import FileStep
from dossiers.files.state_machine import AwaitHuman
from dossiers.files.states import DecisionKind
from dossiers.i18n import tr
from flows import control
from flows.customer_file import suspension_key
from flows.db_file_engine import DbFileEngine, record_decision
from flows.file_engine_protocol import Done, NextAction, StepDecision, WaitHuman
from liasse.demo.invoice_pipeline import actions
from liasse.demo.state import Demo

TRANSITION_SECONDS = 180  # one run start-up is ~5 s here; a loaded 2-core machine is slower


def step_label(demo: Demo, file_id: int, step_id: str) -> str:
    with demo.factory() as s:
        definition = service.circuit_of(s, service.get_file(s, file_id)).step(step_id)
    return tr(definition.label.fr, definition.label.en)


def current(demo: Demo, file_id: int) -> queries.PlannedAction:
    with demo.factory() as s:
        return queries.plan_next(s, file_id)


def engine(demo: Demo) -> DbFileEngine:
    """The product's file engine, only *asked* here (what does the file wait for?)."""
    if demo.engine is None:
        demo.engine = DbFileEngine(demo.factory, actions(demo))
    return demo.engine


def attach(demo: Demo, file_id: int, kind: str, name: str, data: bytes, by: str) -> None:
    store = BlobStore(Settings().blob_dir)
    with demo.tx() as s:
        document = attach_document(s, store, file_id, data=data, original_name=name, kind=kind,
                                   uploaded_by=by, max_bytes=Settings().max_upload_bytes)
        digest, media_type = document.sha256[:12], document.media_type
    demo.detail(tr(f"pièce jointe « {name} » acceptée ({media_type}, {len(data)} o, "
                   f"sha256 {digest}…)",
                   f"attachment '{name}' accepted ({media_type}, {len(data)} B, "
                   f"sha256 {digest}…)"))


def start_run(demo: Demo, file_id: int) -> None:
    """Create the file's flow run; the served deployment picks it up and runs it."""
    run_id = control.start_file(str(file_id))
    demo.runs[file_id] = run_id
    demo.detail(tr(f"exécution Prefect « file-{file_id} » : {demo.stack.flow_run_url(run_id)}",
                   f"Prefect run 'file-{file_id}': {demo.stack.flow_run_url(run_id)}"))


def decide(demo: Demo, file_id: int, login: str, *, approve: bool,
           reason: str | None = None) -> None:
    """Approve or reject the human step the file waits on, as `login`, then resume its run."""
    planned = current(demo, file_id)
    assert isinstance(planned.action, AwaitHuman), planned.action
    label = step_label(demo, file_id, planned.action.step_id)
    outcome = "approved" if approve else "rejected"
    row = str(planned.step_row_id)
    with demo.tx() as s:
        record_decision(s, file_id, row, outcome, login, reason=reason)
    control.resume_step(str(file_id), StepDecision(step_run_id=row, outcome=outcome,
                                                   actor=login, reason=reason or ""))
    if approve:
        demo.ok(f"dossier {file_id} — {label} : approuvé par {login}",
                f"file {file_id} — {label}: approved by {login}")
    else:
        demo.console.print("  [yellow]↩[/] " + tr(
            f"dossier {file_id} — {label} : rejeté par {login} (motif : {reason})",
            f"file {file_id} — {label}: rejected by {login} (reason: {reason})"),
            highlight=False)
    settle(demo, file_id)


def settle(demo: Demo, file_id: int) -> None:
    """Wait for the run to catch up with the database, then tell what it did."""
    run, action = wait_for_run(demo, file_id)
    report_automatic_steps(demo, file_id)
    if isinstance(action, Done):
        demo.detail(tr(f"dossier {file_id} terminé : {action.outcome} — exécution "
                       f"{run.state_name}", f"file {file_id} finished: {action.outcome} — run "
                       f"{run.state_name}"))
    elif isinstance(action, WaitHuman):
        alert = alert_note(demo, action.step_run_id)
        demo.detail(tr(f"dossier {file_id} : exécution suspendue, attend le rôle {action.role} "
                       f"— {alert}",
                       f"file {file_id}: run suspended, waits for role {action.role} — {alert}"))
    else:
        demo.detail(tr(f"dossier {file_id} : exécution suspendue, attend {action.document}",
                       f"file {file_id}: run suspended, waits for {action.document}"))

def wait_for_run(demo: Demo, file_id: int) -> tuple[FlowRun, NextAction]:
    """Poll until the file's run is suspended on the step the database says the file waits
    for, or completed once the file is done; returns the run and that action. A failed run or
    a timeout raises."""
    run_id, deadline = demo.runs[file_id], time.monotonic() + TRANSITION_SECONDS
    with get_client(sync_client=True) as client:
        while True:
            run, action = client.read_flow_run(run_id), engine(demo).next_action(str(file_id))
            state = run.state
            if state is not None:
                if (state.is_completed() if isinstance(action, Done) else state.is_paused()
                        and state.state_details.pause_key == suspension_key(action.step_run_id)):
                    return run, action
                if state.is_final():
                    raise RuntimeError(tr(
                        f"l'exécution du dossier {file_id} a échoué ({state.name}: "
                        f"{state.message}) ; voir {demo.stack.log_file}",
                        f"file {file_id}'s run failed ({state.name}: {state.message}); "
                        f"see {demo.stack.log_file}"))
            if time.monotonic() > deadline:
                raise TimeoutError(tr(
                    f"dossier {file_id} : l'exécution est restée {run.state_name} ; voir "
                    f"{demo.stack.log_file}",
                    f"file {file_id}: the run stayed {run.state_name}; see "
                    f"{demo.stack.log_file}"))
            time.sleep(0.3)


def report_automatic_steps(demo: Demo, file_id: int) -> None:
    """The automatic steps the flow completed since last time, with their notes."""
    with demo.factory() as s:
        rows = s.scalars(select(FileStep).where(
            FileStep.file_id == file_id, FileStep.mode == "automatic",
            FileStep.decision == DecisionKind.COMPLETE).order_by(FileStep.id)).all()
        done = [(row.id, row.step_id, row.reason or "") for row in rows
                if row.id not in demo.reported]
    for row_id, step_id, note in done:
        demo.reported.add(row_id)
        label = step_label(demo, file_id, step_id)
        demo.ok(f"dossier {file_id} — {label} : {note} [dim](tâche Prefect)[/]",
                f"file {file_id} — {label}: {note} [dim](Prefect task)[/]")


def alert_note(demo: Demo, step_run_id: str) -> str:
    """Who the flow alerted for this step, and the `.eml` file it wrote."""
    with demo.factory() as s:
        mail = s.scalars(select(SentMail).where(
            SentMail.idempotency_key == step_alert_key(step_run_id))).first()
        if mail is None:
            return tr("aucun destinataire pour ce rôle", "nobody holds that role")
        recipients, name = ", ".join(mail.recipients), outbox_file_name(mail.message_id)
    return tr(f"alerte envoyée à {recipients} (outbox/{name})",
              f"alert sent to {recipients} (outbox/{name})")

