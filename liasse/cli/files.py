"""`liasse files start|show|attach|next|cancel|reopen`: customer files on their circuits."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from dossiers.blobs import BlobStore
from dossiers.circuits import CircuitError, CircuitVersion, load_circuit
from dossiers.circuits.versions import content_hash
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.errors import NotFound
from dossiers.files import queries, service
from dossiers.files.documents import attach_document
from dossiers.files.state_machine import AwaitCustomer, Finished, NextAction, RunAutomatic
from dossiers.i18n import tr
from liasse.cli.environment import console, err_console, session_factory, settings

NAME = "files"
app = typer.Typer(help="Dossiers clients. / Customer files.", no_args_is_help=True)


def default_actor() -> str:
    return f"cli:{getpass.getuser()}"


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"


@app.command("start")
def start(
    customer: str = typer.Option(..., "--customer", help="Customer number, e.g. C000001."),
    circuit: str = typer.Option("default", "--circuit", help="Circuit name (circuits/*.yaml)."),
    invoice: str | None = typer.Option(None, "--invoice", help="Disputed invoice (dispute)."),
    reason: str | None = typer.Option(None, "--reason", help="The claim's reason (dispute)."),
    actor: str = typer.Option(None, "--as", help="Who opens the file (audit trail)."),
) -> None:
    """Open a file for a customer on the current version of a circuit.

    A dispute circuit needs `--invoice` (one of the customer's issued invoices, with no other
    dispute open) and `--reason`: the same rules as every dispute start, `dispute.opened`
    recorded."""
    path = settings().circuits_dir / f"{circuit}.yaml"
    if not path.exists():
        raise NotFound(f"Circuit « {circuit} » introuvable ({path}).",
                       f"Circuit '{circuit}' not found ({path}).")
    definition = load_circuit(path)
    with transaction(session_factory()) as session:
        row = session.scalars(select(Customer).where(Customer.number == customer)).one_or_none()
        if row is None:
            raise NotFound(f"Client « {customer} » introuvable.",
                           f"Customer '{customer}' not found.")
        file = service.start_file(session, customer_id=row.id, circuit=definition,
                                  actor=actor or default_actor(), parent_invoice_ref=invoice,
                                  reason=reason)
        file_id, version, step = file.id, file.circuit_version, file.current_step
    console.print(tr(
        f"Dossier {file_id} ouvert (circuit {circuit} v{version}), étape en cours : {step}.",
        f"File {file_id} opened (circuit {circuit} v{version}), current step: {step}.",
    ))


@app.command("circuits")
def circuits() -> None:
    """Validate every circuit YAML and show its stored version (files pin the version)."""
    folder = settings().circuits_dir
    paths = sorted(folder.glob("*.yaml"))
    errors: list[CircuitError] = []
    table = Table(tr("circuit", "circuit"), tr("étapes", "steps"), "sha256",
                  tr("version enregistrée", "stored version"))
    with session_factory()() as session:
        for path in paths:
            try:
                definition = load_circuit(path)
            except CircuitError as error:
                errors.append(error)
                continue
            digest = content_hash(definition)
            stored = session.scalar(select(CircuitVersion.version).where(
                CircuitVersion.name == definition.name, CircuitVersion.content_hash == digest))
            table.add_row(definition.name, " → ".join(s.id for s in definition.steps),
                          digest[:12], f"v{stored}" if stored else tr("nouvelle", "new"))
    console.print(table)
    if errors:
        for error in errors[1:]:
            err_console.print(f"{tr('Erreur', 'Error')} : {error.message}", highlight=False,
                              soft_wrap=True)
        raise errors[0]


@app.command("show")
def show(file_id: int = typer.Argument(..., help="File id.")) -> None:
    """A file, its step runs and its documents."""
    with session_factory()() as session:
        file = service.get_file(session, file_id)
        customer = session.get(Customer, file.customer_id)
        console.print(
            f"[bold]{tr('Dossier', 'File')} {file.id}[/] — {customer.number if customer else '?'}"
            f" — {file.circuit_name} v{file.circuit_version} — [bold]{file.state.value}[/]"
            + (f" ({file.outcome})" if file.outcome else ""),
            highlight=False,
        )
        if file.parent_invoice_ref:
            label = tr("Facture en litige", "Disputed invoice")
            console.print(f"{label} : {file.parent_invoice_ref}", highlight=False)
        console.print(f"{tr('Ouvert', 'Opened')} {when(file.opened_at)} — "
                      f"{tr('clos', 'closed')} {when(file.closed_at)}", highlight=False)
        steps = Table("id", "#", tr("étape", "step"), tr("état", "state"), tr("rôle", "role"),
                      tr("échéance", "due"), tr("décidé par", "decided by"), tr("motif", "reason"))
        for row in file.steps:
            steps.add_row(str(row.id), str(row.seq), row.step_id, row.state.value,
                          row.assignee or row.role or "—", when(row.due_at),
                          f"{row.decided_by} {when(row.decided_at)}" if row.decided_by else "—",
                          row.reason or row.revoke_reason or row.requested_document or "")
        console.print(steps)
        if file.documents:
            docs = Table("id", tr("nature", "kind"), tr("nom", "name"), tr("type", "type"),
                         tr("taille", "size"), "sha256")
            for doc in file.documents:
                docs.add_row(str(doc.id), doc.kind, doc.original_name, doc.media_type,
                             str(doc.size), doc.sha256[:16] + "…")
            console.print(docs)


@app.command("next")
def next_action(file_id: int = typer.Argument(..., help="File id.")) -> None:
    """What the file waits for now (the question the customer-file flow asks)."""
    with session_factory()() as session:
        plan = queries.plan_next(session, file_id)
    console.print(describe_next(plan.step_row_id, plan.action), highlight=False, soft_wrap=True)


def describe_next(step_row_id: int | None, action: NextAction) -> str:
    if isinstance(action, Finished):
        return tr(f"Dossier terminé : {action.state.value} ({action.outcome}).",
                  f"File finished: {action.state.value} ({action.outcome}).")
    where = tr(f"Étape {step_row_id} ({action.step_id}) : ",
               f"Step {step_row_id} ({action.step_id}): ")
    if isinstance(action, RunAutomatic):
        state = tr("en cours", "running") if action.claimed else tr("à lancer", "to run")
        return where + tr(f"action automatique « {action.action} » {state}.",
                          f"automatic action '{action.action}' {state}.")
    if isinstance(action, AwaitCustomer):
        return where + tr(f"attend du client « {action.document} » avant le {when(action.due_at)}.",
                          f"waits for the customer's '{action.document}' by {when(action.due_at)}.")
    who = action.assignee or action.role
    return where + tr(f"attend la décision de {who}, échéance {when(action.due_at)}.",
                      f"waits for {who}'s decision, due {when(action.due_at)}.")


@app.command("attach")
def attach(
    file_id: int = typer.Argument(..., help="File id."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    kind: str = typer.Option(..., "--kind", help="order_form, supporting_documents, contract…"),
    actor: str = typer.Option(None, "--as", help="Who attaches it (audit trail)."),
) -> None:
    """Attach a document after checking its content (type, size, no active PDF content)."""
    store = BlobStore(settings().blob_dir)
    data = path.read_bytes()
    with transaction(session_factory()) as session:
        document = attach_document(session, store, file_id, data=data, original_name=path.name,
                                   kind=kind, uploaded_by=actor or default_actor(),
                                   max_bytes=settings().max_upload_bytes)
        doc_id, media_type, digest = document.id, document.media_type, document.sha256
    console.print(tr(f"Pièce {doc_id} acceptée ({media_type}, sha256 {digest}).",
                     f"Document {doc_id} accepted ({media_type}, sha256 {digest})."))


@app.command("cancel")
def cancel(
    file_id: int = typer.Argument(..., help="File id."),
    actor: str = typer.Option(..., "--as", help="Staff login (admin or operator)."),
    reason: str = typer.Option(None, "--reason", help="Why the file is cancelled."),
) -> None:
    """Cancel an open file (administrators and operators)."""
    with transaction(session_factory()) as session:
        service.cancel_file(session, file_id, actor, reason=reason or "")
    console.print(tr(f"Dossier {file_id} annulé.", f"File {file_id} cancelled."))


@app.command("reopen")
def reopen(
    file_id: int = typer.Argument(..., help="File id (closed approved)."),
    step: str = typer.Option(..., "--step", help="Human step to reopen at, e.g. invoice_review."),
    reason: str = typer.Option(..., "--reason", help="Why (shown to whoever decides the step)."),
    actor: str = typer.Option(..., "--as", help="Staff login (operator or admin)."),
) -> None:
    """Put a closed-approved file back at a human step, then start its flow run."""
    from flows.actions.chorus_problems import describe_wake, start_reopened_run

    with transaction(session_factory()) as session:
        service.reopen(session, file_id, step, actor, reason)
        plan = queries.plan_next(session, file_id)
        row_id = plan.step_row_id
    assert row_id is not None
    console.print(tr(f"Dossier {file_id} rouvert à l'étape « {step} » (étape {row_id}).",
                     f"File {file_id} reopened at step '{step}' (step {row_id})."),
                  highlight=False)
    console.print(describe_wake(file_id, row_id, start_reopened_run(file_id, row_id)),
                  highlight=False, soft_wrap=True)
