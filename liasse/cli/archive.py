"""`liasse archive ...`: find, retrieve, verify, export and manage the legal archive.

Backend and retention come from `LIASSE_ARCHIVE_*` (see `connectors.archive.settings`); the
local folder `<LIASSE_HOME>/archive` is the default. `verify-export` needs no database.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from connectors.archive import ArchiveSettings
from dossiers.archive import (
    Archive,
    check_segment,
    export_audit_segment,
    export_customer,
    find,
    get_document,
    place_hold,
    release_hold,
    retention_sweep,
    verify,
    verify_bundle,
    verify_rolling,
)
from dossiers.archive.bundle import describe
from dossiers.customers.models import Customer
from dossiers.errors import IntegrityFailure, NotFound
from dossiers.i18n import tr
from liasse.cli.environment import console, services, session_factory
from signing.cades import seal_bytes, verify_detached
from signing.certificates import load_pem_certs
from signing.pki.signing_pki import verification_roots
from signing.settings import SigningSettings

NAME = "archive"
app = typer.Typer(help="Archive légale. / Legal archive.", no_args_is_help=True)

ACTOR = typer.Option(None, "--actor", help="Who acts (defaults to cli:<login>).")


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


def _archive() -> Archive:
    return services().archive


def _customer_id(reference: str) -> int:
    """A customer number (as printed on documents) or a database id."""
    with session_factory()() as session:
        found = session.scalars(select(Customer.id).where(Customer.number == reference)).first()
        if found is not None:
            return found
        if reference.isdigit() and session.get(Customer, int(reference)) is not None:
            return int(reference)
    raise NotFound(f"Client introuvable : {reference}.", f"Customer not found: {reference}.")


@app.command("find")
def find_command(
    customer: str | None = typer.Option(None, help="Customer number or id."),
    document_type: str | None = typer.Option(None, "--type", help="invoice, contract, ..."),
    number: str | None = typer.Option(None, help="Document number."),
    issued_from: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"],
                                                help="Issued on or after (YYYY-MM-DD)."),
    issued_to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"],
                                              help="Issued on or before (YYYY-MM-DD)."),
    deleted: bool = typer.Option(False, "--deleted", help="Include deleted documents."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List archived documents."""
    customer_id = _customer_id(customer) if customer else None
    with session_factory()() as session:
        rows = find(session, customer_id=customer_id, document_type=document_type,
                    document_number=number, include_deleted=deleted,
                    issued_from=issued_from.date() if issued_from else None,
                    issued_to=issued_to.date() if issued_to else None)
    if as_json:
        for row in rows:
            console.print_json(json.dumps(describe(row)), indent=None)
        return
    table = Table("id", "type", tr("numéro", "number"), tr("client", "customer"),
                  tr("émis le", "issued"), tr("conservé jusqu'au", "retained until"),
                  tr("gel", "hold"), "sha256", tr("état", "state"))
    for row in rows:
        table.add_row(str(row.id), row.document_type, row.document_number,
                      str(row.customer_id or ""), row.issue_date.isoformat(),
                      row.retain_until.date().isoformat(), "✓" if row.legal_hold else "",
                      row.sha256[:16], row.state.value)
    console.print(table)


@app.command("get")
def get_command(
    record_id: int = typer.Argument(..., help="Archive record id (see `find`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the document."),
    actor: str | None = ACTOR,
) -> None:
    """Retrieve a document after checking its SHA-256 (exit 7 on mismatch)."""
    row, body = get_document(_archive(), record_id, actor=_actor(actor))
    output.write_bytes(body)
    console.print(tr(f"[green]OK[/] {row.key} → {output} (SHA-256 vérifié {row.sha256})",
                     f"[green]OK[/] {row.key} → {output} (SHA-256 checked {row.sha256})"),
                  highlight=False)


@app.command("verify")
def verify_command(
    sample: int | None = typer.Option(None, help="Check the N objects verified longest ago."),
    rolling: bool = typer.Option(False, help="Today's share of the rolling period."),
    actor: str | None = ACTOR,
) -> None:
    """Re-read objects: SHA-256 against the database and their metadata; retention, lock mode
    and legal hold in the store (S3 Object Lock or the local sidecar) against the database, the
    hold records and the audit trail (exit 7 on any difference)."""
    archive = _archive()
    if rolling:
        report = verify_rolling(archive, ArchiveSettings().verify_period_days, _actor(actor))
    else:
        report = verify(archive, sample=sample, actor=_actor(actor))
    for problem in report.problems:
        console.print(f"[red]#{problem.record_id}[/] {problem.key}: {problem.kind} "
                      f"({problem.detail})", highlight=False)
    if not report.ok:
        raise IntegrityFailure(
            f"{len(report.problems)} anomalie(s) (contenu altéré, objet manquant ou "
            f"enregistrements divergents) sur {report.checked} objet(s).",
            f"{len(report.problems)} problem(s) (corrupted content, missing object or records "
            f"that disagree) out of {report.checked} object(s).",
        )
    console.print(tr(f"[green]OK[/] {report.checked} objet(s) vérifié(s).",
                     f"[green]OK[/] {report.checked} object(s) verified."))


@app.command("export")
def export_command(
    customer: str = typer.Option(..., help="Customer number or id."),
    output: Path = typer.Option(..., "--output", "-o", help="Zip file to write."),
    actor: str | None = ACTOR,
) -> None:
    """Export a customer's documents, metadata and audit events as a verifiable zip."""
    path = export_customer(_archive(), _customer_id(customer), output, actor=_actor(actor))
    console.print(f"[green]OK[/] {path}", highlight=False)


@app.command("verify-export")
def verify_export_command(path: Path = typer.Argument(..., exists=True)) -> None:
    """Check an export offline (no database): manifest, document hashes, audit event hashes."""
    report = verify_bundle(path)
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    if not report.ok:
        raise IntegrityFailure(f"export altéré : {len(report.problems)} anomalie(s).",
                               f"export tampered with: {len(report.problems)} problem(s).")
    console.print(tr(
        f"[green]OK[/] export intègre : {report.documents} document(s), {report.events} "
        "événement(s).",
        f"[green]OK[/] export intact: {report.documents} document(s), {report.events} event(s).",
    ))


@app.command("hold")
def hold_command(
    record_ids: list[int] = typer.Argument(..., help="Archive record ids."),
    reason: str = typer.Option(..., help="Why (e.g. the dispute reference)."),
    actor: str | None = ACTOR,
) -> None:
    """Place documents on legal hold (no deletion, even after retention)."""
    changed = place_hold(_archive(), record_ids, reason, actor=_actor(actor))
    console.print(tr(f"{len(changed)} document(s) gelé(s).", f"{len(changed)} document(s) held."))


@app.command("release")
def release_command(
    record_ids: list[int] = typer.Argument(..., help="Archive record ids."),
    reason: str = typer.Option(..., help="Why the hold ends."),
    actor: str | None = ACTOR,
) -> None:
    """Lift a legal hold."""
    changed = release_hold(_archive(), record_ids, reason, actor=_actor(actor))
    console.print(tr(f"{len(changed)} gel(s) levé(s).", f"{len(changed)} hold(s) released."))


@app.command("sweep")
def sweep_command(
    execute: bool = typer.Option(False, "--execute", help="Really delete (default: dry run)."),
    limit: int | None = typer.Option(None, help="At most N documents."),
    actor: str | None = ACTOR,
) -> None:
    """Delete documents past retention and not on hold (dry run unless --execute)."""
    report = retention_sweep(_archive(), dry_run=not execute, limit=limit, actor=_actor(actor))
    label = tr("à supprimer", "to delete") if report.dry_run else tr("supprimés", "deleted")
    ids = report.candidates if report.dry_run else report.deleted
    console.print(f"{len(ids)} {label}: {ids}", highlight=False)
    for record_id, why in report.refused.items():
        console.print(f"[yellow]#{record_id}[/] {why}", highlight=False)


@app.command("export-audit-log")
def export_audit_log_command(
    no_seal: bool = typer.Option(False, "--no-seal", help="Do not seal the segment (CAdES)."),
    actor: str | None = ACTOR,
) -> None:
    """Archive the audit events since the last segment as a JSON-lines `audit_log` document.

    The segment is sealed by the company seal (the demo PKI's unless one is configured); the
    detached CAdES signature is archived next to it as `audit_log_seal`.
    """
    def company_seal(data: bytes) -> bytes:
        return seal_bytes(data, services().seal)

    exported = export_audit_segment(_archive(), seal=None if no_seal else company_seal,
                                    actor=_actor(actor))
    if exported is None:
        console.print(tr("Rien de nouveau à exporter.", "Nothing new to export."))
        return
    segment = exported.segment
    console.print(f"[green]OK[/] segment {segment.number}: #{segment.first_seq}-#{segment.last_seq}"
                  f" sha256 {segment.sha256}", highlight=False)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


@app.command("verify-audit-log")
def verify_audit_log_command(
    segment: Path = typer.Argument(..., exists=True, dir_okay=False, help="Segment (.jsonl)."),
    seal: Path = typer.Argument(..., exists=True, dir_okay=False, help="Its detached seal."),
    previous: Path | None = typer.Option(
        None, "--previous", exists=True, dir_okay=False,
        help="The previous segment file: also check that this one follows it (file hash, and "
             "its first event follows the last event inside the previous one)."),
    trust_roots: Path | None = typer.Option(
        None, "--trust-roots", exists=True, dir_okay=False,
        help="PEM roots to trust (default: LIASSE_TRUST_ROOTS, the signing CA, the demo root)."),
) -> None:
    """Check an archived audit-log segment offline: its event chain and its CAdES seal."""
    content = segment.read_bytes()
    roots = load_pem_certs(trust_roots) if trust_roots else verification_roots(SigningSettings())
    # The link to the previous segment is checked by content (its last event's hash), not only
    # by the file hash the header names.
    problems = check_segment(content, previous=previous.read_bytes() if previous else None)
    report = verify_detached(content, seal.read_bytes(), roots)
    problems += list(report.problems)
    for label, value in ((tr("Cachet", "Seal"), report.signer or "?"),
                         (tr("Signé le", "Signing time"), _when(report.signing_time)),
                         (tr("Horodatage", "Timestamp"), _when(report.timestamp))):
        console.print(f"  {label} : {value}", highlight=False)
    for problem in problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    if problems:
        raise IntegrityFailure(f"segment du journal altéré : {len(problems)} anomalie(s).",
                               f"audit-log segment tampered with: {len(problems)} problem(s).")
    console.print(tr("[green]OK[/] segment intègre et cachet valide.",
                     "[green]OK[/] segment intact and seal valid."))
