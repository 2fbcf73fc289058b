"""`liasse audit verify|show`: check and read the hash-chained audit trail."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlalchemy import select

from dossiers.audit import AuditEvent, verify
from dossiers.errors import IntegrityFailure
from dossiers.i18n import tr
from liasse.cli.context import console, session_factory

NAME = "audit"
app = typer.Typer(help="Journal d'audit chaîné. / Hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify_command() -> None:
    """Re-hash every event and check the chain; exit non-zero and name each broken event."""
    with session_factory()() as session:
        report = verify(session)
    if report.ok:
        console.print(
            tr(
                f"[green]OK[/] journal d'audit intègre : {report.checked} événements vérifiés.",
                f"[green]OK[/] audit trail intact: {report.checked} events checked.",
            )
        )
        return
    for problem in report.problems:
        console.print(f"[red]#{problem.seq}[/] {problem.kind}: {problem.detail}", highlight=False)
    raise IntegrityFailure(
        f"journal d'audit altéré : {len(report.problems)} anomalie(s) sur "
        f"{report.checked} événements.",
        f"audit trail tampered with: {len(report.problems)} problem(s) in "
        f"{report.checked} events.",
    )


@app.command("show")
def show(
    customer: int | None = typer.Option(None, help="Only events of this customer id."),
    limit: int = typer.Option(50, help="Most recent N events."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines with hashes."),
) -> None:
    """List the most recent events."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if customer is not None:
        query = query.where(AuditEvent.customer_id == customer)
    with session_factory()() as session:
        events = list(reversed(session.scalars(query).all()))
    if as_json:
        for e in events:
            console.print_json(json.dumps({
                "seq": e.seq, "at": e.occurred_at.isoformat(), "actor": e.actor,
                "action": e.action, "subject": f"{e.subject_type}:{e.subject_id}",
                "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash,
            }))
        return
    table = Table("#", tr("date (UTC)", "date (UTC)"), tr("acteur", "actor"), "action",
                  tr("objet", "subject"))
    for e in events:
        table.add_row(str(e.seq), e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), e.actor,
                      e.action, f"{e.subject_type}:{e.subject_id}")
    console.print(table)
