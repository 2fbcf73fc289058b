"""`liasse chorus deposit|poll|status|buyer`: Chorus Pro deposits from the command line.

Connection settings come from `LIASSE_CHORUS_*` (see `connectors.chorus_pro.settings`); point
`LIASSE_CHORUS_API_BASE_URL` and `LIASSE_CHORUS_OAUTH_BASE_URL` at the bundled fake
(`python -m connectors.chorus_pro.fake`) to try it without PISTE credentials.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from connectors.chorus_pro.checks import xsd_only_check
from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.followup import poll_once
from connectors.chorus_pro.preflight import FacturXCheck
from connectors.chorus_pro.settings import ChorusSettings
from dossiers.chorus_deposits import ChorusDeposit, DepositState
from dossiers.db import utcnow
from dossiers.errors import NotFound, ValidationError
from dossiers.i18n import tr
from liasse.cli.environment import console, session_factory

NAME = "chorus"
app = typer.Typer(help="Dépôts Chorus Pro. / Chorus Pro deposits.", no_args_is_help=True)


def _client() -> ChorusProClient:
    return ChorusProClient(ChorusSettings())


def _facturx_check(level: str) -> FacturXCheck:
    if level == "xsd":
        return xsd_only_check
    from documents.facturx.check import check_facturx  # the full check: XSD + schematrons

    return check_facturx


@app.command("deposit")
def deposit(
    pdf: Path = typer.Argument(..., exists=True, dir_okay=False, help="Factur-X PDF"),
    invoice: str = typer.Option(..., "--invoice", help="Invoice number (must match the XML)."),
    customer: int | None = typer.Option(None, help="Customer id, for the audit trail."),
    check: str = typer.Option("full", help="Factur-X check before deposit: full or xsd."),
) -> None:
    """Check then deposit one Factur-X invoice (never twice)."""
    if check not in ("full", "xsd"):
        raise ValidationError("--check vaut full ou xsd.", "--check is full or xsd.")
    with _client() as client:
        depositor = Depositor(session_factory(), client, _facturx_check(check))
        outcome = depositor.deposit(DepositRequest(invoice, pdf.read_bytes(), customer_id=customer))
    if outcome.state == DepositState.TO_FIX:
        raise ValidationError(
            f"Facture {invoice} non déposée, à corriger : {outcome.reason}",
            f"Invoice {invoice} not deposited, to fix: {outcome.reason}",
        )
    sent = tr("déposée", "deposited") if outcome.sent else tr("inchangée", "unchanged")
    console.print(
        f"{invoice}: {outcome.state.value} ({sent})"
        + (f" — {tr('flux', 'flow')} {outcome.flow_number}" if outcome.flow_number else "")
        + (f" — {outcome.reason}" if outcome.reason else ""),
        highlight=False,
    )


@app.command("poll")
def poll(
    now: bool = typer.Option(False, "--now", help="Poll every followed deposit, due or not."),
) -> None:
    """Poll the deposits that are due, once (the scheduled flow does the same)."""
    problems: list[tuple[str, str]] = []
    with _client() as client:
        report = poll_once(
            session_factory(),
            client,
            utcnow(),
            on_problem=lambda n, r: problems.append((n, r)),
            force=now,
        )
    console.print(
        tr(
            f"{report.polled} suivis, {report.changed} changements, {report.settled} terminés.",
            f"{report.polled} polled, {report.changed} changed, {report.settled} settled.",
        )
    )
    for number, reason in problems:
        console.print(f"[red]{number}[/] {reason}", highlight=False)
    for number, error in report.errors:
        console.print(f"[yellow]{number}[/] {error}", highlight=False)


@app.command("status")
def status(
    state: str | None = typer.Option(None, help="Only this state (e.g. to_fix)."),
    invoice: str | None = typer.Option(None, help="Only this invoice number."),
) -> None:
    """List deposits with their Chorus Pro status and, when blocked, what to fix."""
    query = select(ChorusDeposit).order_by(ChorusDeposit.id)
    if state:
        try:
            query = query.where(ChorusDeposit.state == DepositState(state))
        except ValueError:
            states = ", ".join(s.value for s in DepositState)
            raise ValidationError(
                f"État inconnu {state} ; valeurs : {states}.",
                f"Unknown state {state}; values: {states}.",
            ) from None
    if invoice:
        query = query.where(ChorusDeposit.invoice_number == invoice)
    with session_factory()() as session:
        rows = session.scalars(query).all()
    if invoice and not rows:
        raise NotFound(
            f"Aucun dépôt Chorus Pro pour la facture {invoice}.",
            f"No Chorus Pro deposit for invoice {invoice}.",
        )
    table = Table(
        tr("facture", "invoice"),
        tr("état", "state"),
        tr("cycle", "lifecycle"),
        "Chorus Pro",
        tr("flux", "flow"),
        tr("motif", "reason"),
    )
    for row in rows:
        table.add_row(
            row.invoice_number,
            row.state.value,
            row.lifecycle.value if row.lifecycle else "",
            row.invoice_status or row.flow_state or "",
            row.flow_number or "",
            row.reason or "",
        )
    console.print(table)


@app.command("buyer")
def buyer(siret: str = typer.Argument(..., help="The public buyer's SIRET")) -> None:
    """What a public buyer requires on its invoices (service code, legal commitment)."""
    with _client() as client:
        structures = client.find_structures(siret)
        if not structures:
            raise NotFound(
                f"SIRET {siret} inconnu de Chorus Pro.", f"SIRET {siret} unknown to Chorus Pro."
            )
        structure = structures[0]
        params = client.structure_parameters(structure.structure_id)
        services = client.structure_services(structure.structure_id)
    yes, no = tr("oui", "yes"), tr("non", "no")
    console.print(f"{structure.name} ({structure.identifier}, id {structure.structure_id})")
    console.print(
        tr("code service obligatoire : ", "service code required: ")
        + (yes if params.service_code_required else no)
    )
    console.print(
        tr("engagement juridique obligatoire : ", "legal commitment required: ")
        + (yes if params.legal_commitment_required else no)
    )
    for service in services:
        active = "" if service.active else tr(" (inactif)", " (inactive)")
        console.print(f"  {service.code}  {service.label or ''}{active}", highlight=False)
