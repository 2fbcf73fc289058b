"""`liasse steps pending|approve|reject|revoke|delegate|request-document`: deciding steps.

STEP_ID is the id shown by `liasse steps pending` and `liasse files show` (one run of a step).
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.files import queries, service
from dossiers.files.models import CustomerFile
from dossiers.files.state_machine import Transition
from dossiers.i18n import tr
from dossiers.input_validation import parse_due
from liasse.cli.environment import console, session_factory
from liasse.cli.files import when

NAME = "steps"
app = typer.Typer(help="Étapes à décider. / Steps waiting for a decision.", no_args_is_help=True)

AS_OPTION = typer.Option(..., "--as", help="Staff login of the person deciding.")


def _run(step_row_id: int, decide: Callable[[Session], Transition], done_fr: str,
         done_en: str) -> None:
    with transaction(session_factory()) as session:
        transition = decide(session)
        file = service.get_step(session, step_row_id).file
        summary = _where(file)
    label = transition.event
    console.print(tr(f"{done_fr} ({label}) — {summary[0]}", f"{done_en} ({label}) — {summary[1]}"),
                  highlight=False)


def _where(file: CustomerFile) -> tuple[str, str]:
    if file.current_step:
        return (f"dossier {file.id} : {file.state.value}, étape en cours {file.current_step}",
                f"file {file.id}: {file.state.value}, current step {file.current_step}")
    return (f"dossier {file.id} : {file.state.value}", f"file {file.id}: {file.state.value}")


@app.command("pending")
def pending(
    role: str | None = typer.Option(None, "--role", help="Only steps decided by this role."),
    assignee: str | None = typer.Option(None, "--assignee", help="Only steps delegated to…"),
) -> None:
    """Human steps waiting for a decision, most urgent first."""
    with session_factory()() as session:
        rows = queries.pending_steps(session, role=role, assignee=assignee)
        table = Table("id", tr("dossier", "file"), tr("étape", "step"), tr("rôle", "role"),
                      tr("délégué à", "delegated to"), tr("échéance", "due"),
                      tr("attente client", "customer doc"))
        for row in rows:
            table.add_row(str(row.id), str(row.file_id), row.step_id, row.role or "—",
                          row.assignee or "—", when(row.due_at),
                          row.requested_document if row.request_received_at is None
                          and row.requested_document else "")
    console.print(table)
    console.print(tr(f"{len(rows)} étape(s) en attente.", f"{len(rows)} step(s) waiting."))


@app.command("approve")
def approve(
    step_id: int = typer.Argument(..., help="Step id (see `steps pending`)."),
    actor: str = AS_OPTION,
    reason: str | None = typer.Option(None, "--reason", help="Optional comment."),
    outcome: str | None = typer.Option(None, "--outcome", help="Named outcome (e.g. disputes)."),
) -> None:
    """Approve a waiting step; the next step starts."""
    _run(step_id, lambda s: service.approve(s, step_id, actor, reason=reason, outcome=outcome),
         "Étape approuvée", "Step approved")


@app.command("reject")
def reject(
    step_id: int = typer.Argument(..., help="Step id (see `steps pending`)."),
    actor: str = AS_OPTION,
    reason: str | None = typer.Option(None, "--reason", help="Mandatory reason."),
) -> None:
    """Reject a waiting step with a reason; the file goes back or closes as the circuit says."""
    if not (reason or "").strip():
        raise ValidationError("Un motif est obligatoire pour un rejet (--reason).",
                              "A reason is required for a rejection (--reason).")
    _run(step_id, lambda s: service.reject(s, step_id, actor, reason=reason or ""),
         "Étape rejetée", "Step rejected")


@app.command("revoke")
def revoke(
    step_id: int = typer.Argument(..., help="Id of the approved step."),
    actor: str = AS_OPTION,
    reason: str | None = typer.Option(None, "--reason", help="Mandatory reason."),
) -> None:
    """Withdraw an approval while the next step has not started."""
    _run(step_id, lambda s: service.revoke(s, step_id, actor, reason=reason or ""),
         "Approbation révoquée", "Approval revoked")


@app.command("delegate")
def delegate(
    step_id: int = typer.Argument(..., help="Step id."),
    actor: str = AS_OPTION,
    to: str = typer.Option(..., "--to", help="Colleague's login."),
    reason: str | None = typer.Option(None, "--reason"),
) -> None:
    """Hand a waiting step to a colleague."""
    _run(step_id, lambda s: service.delegate(s, step_id, actor, to_login=to, reason=reason),
         "Étape déléguée", "Step delegated")


@app.command("request-document")
def request_document(
    step_id: int = typer.Argument(..., help="Step id."),
    actor: str = AS_OPTION,
    document: str = typer.Option(..., "--document", help="What the customer must send."),
    due: str = typer.Option(..., "--due", help="Due date, YYYY-MM-DD (end of day UTC)."),
    reason: str | None = typer.Option(None, "--reason"),
) -> None:
    """Ask the customer for a missing document; the file waits for it."""
    due_at = parse_due(due)
    _run(step_id, lambda s: service.request_document(s, step_id, actor, document=document,
                                                      due_at=due_at, reason=reason),
         "Document demandé au client", "Document requested from the customer")
