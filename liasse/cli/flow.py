"""`liasse flow start|decide|wake`: customer-file flow runs from the command line.

`decide` is the CLI twin of the portal's decision: it records the decision through the domain
first (wrong role, step not waiting, second decision: a clear error and nothing changed), then
wakes the file's suspended run through Prefect's API (`PREFECT_API_URL`). If no run is
suspended on that step yet (the run is still between its alert and its suspension), the
stale-run sweep wakes it as soon as it suspends (`liasse flow wake`, hourly in sla-reminders).
"""

from __future__ import annotations

import typer

from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.files import service
from dossiers.i18n import tr
from flows.control import NotWaiting, resume_stale_runs, resume_step, start_file
from flows.db_file_engine import make_file_engine, record_decision
from flows.file_engine_protocol import StepDecision
from liasse.cli.environment import console, session_factory

NAME = "flow"
app = typer.Typer(help="Flux Prefect des dossiers. / Customer-file flow runs.",
                  no_args_is_help=True)


@app.command("start")
def start(
    file_id: int,
    attempt: int = typer.Option(0, "--attempt", help="A new attempt after a failed run."),
) -> None:
    """Create the file's flow run (idempotent per file and attempt)."""
    with session_factory()() as s:
        service.get_file(s, file_id)  # a clear error for an unknown file
    run_id = start_file(str(file_id), attempt=attempt)
    console.print(tr(f"Dossier {file_id} : exécution {run_id}", f"File {file_id}: run {run_id}"),
                  highlight=False)


@app.command("decide")
def decide(
    step_id: int = typer.Argument(..., help="Step id (see `liasse steps pending`)."),
    actor: str = typer.Option(..., "--as", help="Staff login of the person deciding."),
    approve: bool = typer.Option(False, "--approve"),
    reject: bool = typer.Option(False, "--reject"),
    reason: str = typer.Option("", "--reason", help="Mandatory for a rejection."),
    outcome: str | None = typer.Option(None, "--outcome", help="Named outcome (disputes)."),
) -> None:
    """Record a decision on a waiting step, then wake the file's flow run."""
    if approve == reject:
        raise ValidationError("Choisissez --approve ou --reject.", "Choose --approve or --reject.")
    verdict = "approved" if approve else "rejected"
    with transaction(session_factory()) as s:
        file_id = service.get_step(s, step_id).file_id
        record_decision(s, file_id, str(step_id), verdict, actor, reason=reason,
                        named_outcome=outcome)
    decision = StepDecision(step_run_id=str(step_id), outcome=verdict, actor=actor,
                            reason=reason)
    try:
        run_id = resume_step(str(file_id), decision)
    except NotWaiting:
        woken = resume_stale_runs(make_file_engine(session_factory()))
        console.print(tr(f"Décision enregistrée ; {len(woken)} exécution(s) réveillée(s).",
                         f"Decision recorded; {len(woken)} run(s) woken."))
        return
    console.print(tr(f"Décision enregistrée ; exécution {run_id} reprise.",
                     f"Decision recorded; run {run_id} resumed."), highlight=False)


@app.command("wake")
def wake() -> None:
    """Resume suspended runs whose step the database already moved past."""
    woken = resume_stale_runs(make_file_engine(session_factory()))
    console.print(tr(f"{len(woken)} exécution(s) réveillée(s).", f"{len(woken)} run(s) woken."))
