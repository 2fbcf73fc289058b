"""`liasse invoices ...`: issue, show, list, credit, re-issue, render and check invoices.

Every issue goes through the Factur-X gate before commit (XSD + EN 16931 + BR-FR): an invoice
that would be rejected raises with the rule ids and takes no number. The seller is the company
profile (`LIASSE_COMPANY_PROFILE`, the bundled demo profile otherwise). Reverse charge (AE) or an
intra-EU supply (K) to an EU buyer first has the buyer's VAT number re-checked with VIES when its
last check is missing or old (`--no-vies`: offline), and is refused if VIES calls it invalid.
"""

from __future__ import annotations

import getpass
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Column, Table
from rich.text import Text

from documents.profile import current_profile
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice, InvoiceKind, InvoiceState
from dossiers.invoicing.numbering import configure_series
from dossiers.invoicing.queries import credit_status, get_invoice, list_invoices
from liasse.cli import facturx as facturx_cli
from liasse.cli.context import console, session_factory
from liasse.invoice_documents import (
    Checked,
    credit_checked,
    issue_with_vies,
    reissue_checked,
    render,
)
from liasse.vat_checks import default_checker, refresh_for_input

NAME = "invoices"
app = typer.Typer(help="Factures et avoirs. / Invoices and credit notes.", no_args_is_help=True)

ACTOR = typer.Option(None, "--actor", help="Who acts (defaults to cli:<login>).")
DATE = typer.Option(None, "--date", help="Issue date (YYYY-MM-DD), today by default.")
NO_VIES = typer.Option(False, "--no-vies",
                       help="Do not re-check the buyer's VAT number with VIES (offline).")


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValidationError(f"Fichier illisible : {path} ({exc})",
                              f"Unreadable file: {path} ({exc})") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"{path} doit contenir un objet (clés customer, lines…).",
                              f"{path} must contain an object (keys customer, lines…).")
    return data


def _parse_line(text: str) -> dict[str, str]:
    """'Description|quantity|unit price[|category|rate[|unit code]]'."""
    parts = [p.strip() for p in text.split("|")]
    if not 3 <= len(parts) <= 6:
        raise ValidationError(
            f"Ligne « {text} » : attendu « libellé|quantité|prix[|catégorie|taux[|unité]] ».",
            f"Line '{text}': expected 'description|quantity|price[|category|rate[|unit]]'.",
        )
    keys = ("description", "quantity", "unit_price", "vat_category", "vat_rate", "unit_code")
    return dict(zip(keys, parts, strict=False))


def _summary(invoice: Invoice) -> str:
    kind = tr("Avoir", "Credit note") if invoice.kind is InvoiceKind.CREDIT_NOTE else tr(
        "Facture", "Invoice")
    return (f"{kind} {invoice.number} — {invoice.buyer_name} — {invoice.issue_date} — "
            f"{tr('HT', 'excl. VAT')} {invoice.tax_basis_total} € — TVA {invoice.tax_total} € — "
            f"TTC {invoice.grand_total} €")


EXAMPLE = """\
# liasse invoices issue invoice.yaml
customer: C00012            # buyer's customer number (normal or third-party payer)
issue_date: 2026-03-02      # optional, today by default
po_number: EJ-2026-0042     # optional: purchase order / legal commitment (BT-13, <= 50)
service_code: SERV-BIBLIO   # optional: public buyer's service (BT-10)
lines:
  - description: Abonnement annuel « Revue Liasse »
    kind: subscription      # subscription | item | service (default discount, goods/services)
    quantity: 2
    unit_code: ANN          # UN/ECE rec 20: C62 unit, H87 piece, ANN year, MON month
    unit_price: "89.00"
    vat_category: S         # S Z E AE K O
    vat_rate: "2.1"         # S: 20 / 10 / 5.5 / 2.1; others 0
    beneficiary: C00031     # third-party payer invoices: the beneficiary's number
  - description: Formation
    kind: service
    quantity: 1
    unit_price: "350"
    discount_pct: "10"      # omitted: the customer's default discount
  - description: Conférence
    quantity: 1
    unit_price: "600"
    vat_category: E
    vat_rate: "0"
    exemption_reason: Exonération de TVA, article 261-4-4° du CGI
adjustments:                # document-level allowances / charges
  - {amount: "15", reason: Remise fidélité, reason_code: "95", vat_rate: "2.1"}
  - {amount: "6", reason: Frais de port, reason_code: FC, is_charge: true, vat_rate: "20"}
payment_means: {code: "58"} # 30/58 transfer, 59 SEPA direct debit, 48/54 card
notes: [Merci de rappeler le numéro de facture lors du paiement.]
"""


@app.command("example")
def example() -> None:
    """Print an example invoice file for `issue` (YAML)."""
    typer.echo(EXAMPLE, nl=False)  # plain text: rich would wrap long lines


@app.command("issue")
def issue(
    file: Path = typer.Argument(None, help="YAML/JSON invoice (customer, lines, ...)."),
    customer: str = typer.Option(None, "--customer", help="Customer number of the buyer."),
    line: list[str] = typer.Option(None, "--line",
                                   help="'Description|qty|price[|category|rate[|unit]]'."),
    po_number: str = typer.Option(None, "--po", help="Buyer PO / legal commitment (BT-13)."),
    issue_date: str = DATE,
    actor: str = ACTOR,
    no_vies: bool = NO_VIES,
) -> None:
    """Issue an invoice from a file or from options; prints its number."""
    data: dict[str, Any] = _read_file(file) if file else {}
    if customer:
        data["customer"] = customer
    if line:
        data["lines"] = [*data.get("lines", []), *(_parse_line(x) for x in line)]
    if po_number:
        data["po_number"] = po_number
    if issue_date:
        data["issue_date"] = issue_date
    checked = issue_with_vies(session_factory(), data, current_profile(), actor=_actor(actor),
                              checker=None if no_vies else default_checker())
    console.print(_summary(checked.invoice), highlight=False)
    _vies_warning(checked)


def _vies_warning(checked: Checked) -> None:
    if checked.vies is not None and checked.vies.warning:
        console.print(Text(checked.vies.warning, style="yellow"))


@app.command("show")
def show(number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show an invoice or credit note: parties, lines, VAT breakdown, totals."""
    with session_factory()() as session:
        inv = get_invoice(session, number)
        status = credit_status(session, inv)
        if as_json:
            console.print_json(json.dumps(_as_dict(inv, status.credit_notes), default=str))
            return
        console.print(_summary(inv), highlight=False)
        console.print(f"{tr('État', 'State')} : {inv.state.value} — "
                      f"{tr('échéance', 'due')} {inv.due_date} — {inv.payment_terms}",
                      highlight=False)
        if inv.referenced_number:
            console.print(f"{tr('Facture d’origine', 'Original invoice')} : "
                          f"{inv.referenced_number} ({inv.referenced_date})", highlight=False)
        if status.credit_notes:
            console.print(f"{tr('Avoirs', 'Credit notes')} : {', '.join(status.credit_notes)} "
                          f"— {tr('reste à créditer', 'remaining')} {status.remaining} € HT",
                          highlight=False)
        table = Table("#", tr("Libellé", "Description"), tr("Qté", "Qty"), tr("PU", "Price"),
                      tr("Remise", "Disc."), "TVA", tr("Net HT", "Net"))
        for ln in inv.lines:
            label = ln.description + (f" ({ln.beneficiary_name})" if ln.beneficiary_name else "")
            table.add_row(str(ln.position), label, f"{ln.quantity.normalize():f}",
                          f"{ln.unit_price.normalize():f}", f"{ln.discount_pct.normalize():f} %",
                          f"{ln.vat_category} {ln.vat_rate.normalize():f} %", str(ln.net_amount))
        console.print(table)
        for row in inv.vat_breakdown:
            console.print(f"TVA {row['category']} {row['rate']} % : {tr('base', 'base')} "
                          f"{row['taxable_amount']} € — {row['tax_amount']} €"
                          + (f" — {row['exemption_reason']}" if row["exemption_reason"] else ""),
                          highlight=False)


def _as_dict(inv: Invoice, credit_notes: tuple[str, ...]) -> dict[str, Any]:
    columns = {c.key: getattr(inv, c.key) for c in Invoice.__table__.columns}
    columns["lines"] = [{c.key: getattr(ln, c.key) for c in ln.__table__.columns}
                        for ln in inv.lines]
    columns["adjustments"] = [{c.key: getattr(a, c.key) for c in a.__table__.columns}
                              for a in inv.adjustments]
    columns["credit_notes"] = list(credit_notes)
    return columns


@app.command("list")
def list_(
    customer: str = typer.Option(None, "--customer"),
    kind: InvoiceKind = typer.Option(None, "--kind"),
    state: InvoiceState = typer.Option(None, "--state"),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """List issued invoices and credit notes, newest first."""
    with session_factory()() as session:
        rows = list_invoices(session, customer=customer, kind=kind, state=state, limit=limit)
        table = Table(Column(tr("Numéro", "Number"), no_wrap=True), "Type",
                      Column(tr("Date", "Date"), no_wrap=True), tr("Client", "Buyer"),
                      "HT", "TVA", "TTC", tr("État", "State"))
        for inv in rows:
            table.add_row(inv.number, inv.type_code, str(inv.issue_date), inv.buyer_name,
                          str(inv.tax_basis_total), str(inv.tax_total), str(inv.grand_total),
                          inv.state.value)
        console.print(table)


def _credit_lines(text: str) -> list[dict[str, str]]:
    """'1:2,3' -> line 1 quantity 2, line 3 whole."""
    lines = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        position, _, quantity = part.partition(":")
        lines.append({"position": position, **({"quantity": quantity} if quantity else {})})
    return lines


@app.command("credit")
def credit(
    number: str,
    reason: str = typer.Option(..., "--reason", help="Why the invoice is credited."),
    amount: Decimal = typer.Option(None, "--amount", help="Amount excluding VAT to credit."),
    lines: str = typer.Option(None, "--lines", help="Lines to credit: '1:2,3' (line:quantity)."),
    issue_date: str = DATE,
    actor: str = ACTOR,
) -> None:
    """Issue a credit note: whole invoice by default, or some lines, or an amount."""
    data: dict[str, Any] = {"invoice": number, "reason": reason}
    if amount is not None:
        data["amount"] = amount
    if lines:
        data["lines"] = _credit_lines(lines)
    if issue_date:
        data["issue_date"] = issue_date
    with transaction(session_factory()) as session:
        checked = credit_checked(session, data, actor=_actor(actor))
    console.print(_summary(checked.invoice), highlight=False)


@app.command("reissue")
def reissue(
    number: str,
    file: Path = typer.Argument(..., help="YAML/JSON of the corrected invoice."),
    reason: str = typer.Option(..., "--reason"),
    actor: str = ACTOR,
    no_vies: bool = NO_VIES,
) -> None:
    """Cancel an invoice with a credit note and issue its corrected replacement, atomically."""
    profile, replacement = current_profile(), _read_file(file)
    if not no_vies:
        refresh_for_input(session_factory(), replacement, default_checker(), actor=_actor(actor))
    with transaction(session_factory()) as session:
        note, new = reissue_checked(session, {"invoice": number, "reason": reason},
                                    replacement, profile, actor=_actor(actor))
    console.print(_summary(note.invoice), highlight=False)
    console.print(_summary(new.invoice), highlight=False)
    _vies_warning(new)


@app.command("render")
def render_(
    number: str,
    output: Path = typer.Option(None, "--output", "-o", help="PDF path (default NUMBER.pdf)."),
) -> None:
    """Write the Factur-X PDF/A-3 of an issued invoice or credit note."""
    with session_factory()() as session:
        document = render(get_invoice(session, number), current_profile())
    target = output or Path(f"{number}.pdf")
    target.write_bytes(document.pdf)
    console.print(str(target), highlight=False)


@app.command("series")
def series(
    code: str = typer.Argument(..., help="invoice or credit_note"),
    prefix: str = typer.Argument(..., help="Prefix, may contain {year}: 'F{year}-'."),
    digits: int = typer.Option(5, "--digits"),
    yearly_reset: bool = typer.Option(True, "--yearly-reset/--no-yearly-reset"),
) -> None:
    """Set a numbering series' format (refused once it has issued a number)."""
    with transaction(session_factory()) as session:
        configure_series(session, code, prefix, yearly_reset=yearly_reset, digits=digits)
    console.print(f"{code}: {prefix} ({digits})", highlight=False)


app.command("check")(facturx_cli.check)
