"""`liasse audit verify|show`: check and read the hash-chained audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from dossiers.archive import verify_anchors
from dossiers.audit import AuditEvent, verify
from dossiers.errors import IntegrityFailure
from dossiers.i18n import tr
from liasse.cli.environment import console, services, session_factory
from signing.cades import verify_detached
from signing.certificates import load_pem_certs
from signing.pki.signing_pki import verification_roots
from signing.settings import SigningSettings

NAME = "audit"
app = typer.Typer(help="Journal d'audit chaîné. / Hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    trust_roots: Path | None = typer.Option(
        None, "--trust-roots", exists=True, dir_okay=False,
        help="PEM roots the segment seals must chain to (default: LIASSE_TRUST_ROOTS, the "
             "signing CA, the demo root)."),
) -> None:
    """Re-hash every event and check the chain, then check the database against the sealed
    audit-log segments archived write-once (`liasse archive export-audit-log`): every event a
    segment holds must be identical in the database, each seal valid, each segment following
    the previous one, the chain head not behind the last segment. Exit non-zero and name each
    broken event."""
    with session_factory()() as session:
        report = verify(session)
    roots = load_pem_certs(trust_roots) if trust_roots else verification_roots(SigningSettings())

    def check_seal(content: bytes, seal: bytes) -> list[str]:
        return list(verify_detached(content, seal, roots).problems)

    anchors = verify_anchors(services().archive, check_seal)
    for problem in report.problems:
        console.print(f"[red]#{problem.seq}[/] {problem.kind}: {problem.detail}", highlight=False)
    for text in anchors.problems:
        console.print(f"[red]✗[/] {tr('ancrage', 'anchor')}: {text}", highlight=False)
    if anchors.unsealed:
        numbers = ", ".join(str(n) for n in anchors.unsealed)
        console.print(tr(f"[yellow]![/] segment(s) archivé(s) sans cachet : {numbers}.",
                         f"[yellow]![/] archived segment(s) without a seal: {numbers}."),
                      highlight=False)
    problems = len(report.problems) + len(anchors.problems)
    if problems:
        raise IntegrityFailure(
            f"journal d'audit altéré : {problems} anomalie(s) sur "
            f"{report.checked} événements.",
            f"audit trail tampered with: {problems} problem(s) in "
            f"{report.checked} events.",
        )
    console.print(tr(
        f"[green]OK[/] journal d'audit intègre : {report.checked} événements vérifiés ; "
        f"{anchors.anchored} ancrés dans {anchors.segments} segment(s) archivé(s) "
        f"({anchors.sealed} scellé(s), jusqu'au n° {anchors.last_anchored_seq}), "
        f"{anchors.not_yet_anchored} après le dernier segment, pas encore ancrés.",
        f"[green]OK[/] audit trail intact: {report.checked} events checked; "
        f"{anchors.anchored} anchored in {anchors.segments} archived segment(s) "
        f"({anchors.sealed} sealed, up to #{anchors.last_anchored_seq}), "
        f"{anchors.not_yet_anchored} after the last segment, not yet anchored.",
    ), highlight=False)


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
