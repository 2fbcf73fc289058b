"""`liasse invoices ...`: issue, show, list, credit, re-issue, render and check invoices.

Every command that issues goes through the posting pipeline (`application.invoicing.posting`),
like the circuits and the demo: the Factur-X gate before commit (XSD + EN 16931 + BR-FR: an
invoice that would be rejected raises with the rule ids and takes no number), then the PDF drawn
once from the seller frozen at issue, sealed, checked and archived. `render` and `show --pdf`
return those archived bytes, never a new drawing. The seller is the company profile
(`LIASSE_COMPANY_PROFILE`, the bundled demo profile otherwise). Reverse charge (AE) or an
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
from rich.console import Console
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from application.invoicing import posting
from application.invoicing.issuing import Checked
from application.services import Services
from dossiers.db import transaction
from dossiers.errors import LiasseError, ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice, InvoiceKind, InvoiceState
from dossiers.invoicing.numbering import configure_series
from dossiers.invoicing.queries import credit_status, get_invoice, list_invoices
from liasse.cli import facturx as facturx_cli
from liasse.cli.environment import console, services, session_factory

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


LINE_EXTRAS = ("kind", "beneficiary", "exemption_reason", "exemption_code", "discount_pct",
               "unit_code")


def _parse_line(text: str) -> dict[str, str]:
    """'Description|quantity|unit price[|category|rate[|unit code]][|key=value...]'.

    The named parts say what the positions cannot: `kind=subscription` (the customer's
    subscription discount applies), `beneficiary=C00031`, `exemption_reason=...`,
    `exemption_code=VATEX-...`, `discount_pct=10`, `unit_code=ANN`."""
    parts = [p.strip() for p in text.split("|")]
    named = [p for p in parts if "=" in p]
    positional = [p for p in parts if "=" not in p]
    if not 3 <= len(positional) <= 6:
        raise ValidationError(
            f"Ligne « {text} » : attendu « libellé|quantité|prix[|catégorie|taux[|unité]]"
            f"[|clé=valeur…] ».",
            f"Line '{text}': expected 'description|quantity|price[|category|rate[|unit]]"
            f"[|key=value…]'.",
        )
    keys = ("description", "quantity", "unit_price", "vat_category", "vat_rate", "unit_code")
    line = dict(zip(keys, positional, strict=False))
    for part in named:
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in LINE_EXTRAS:
            raise ValidationError(
                f"Ligne « {text} » : « {key} » inconnu ; possibles : {', '.join(LINE_EXTRAS)}.",
                f"Line '{text}': unknown '{key}'; valid: {', '.join(LINE_EXTRAS)}.")
        line[key] = value.strip()
    return line


def _parse_adjustment(text: str, *, charge: bool) -> dict[str, Any]:
    """'amount|reason[|VAT rate[|reason code]]' -> a document-level allowance or charge."""
    parts = [p.strip() for p in text.split("|")]
    if not 2 <= len(parts) <= 4:
        raise ValidationError(
            f"« {text} » : attendu « montant|motif[|taux de TVA[|code motif]] ».",
            f"'{text}': expected 'amount|reason[|VAT rate[|reason code]]'.")
    keys = ("amount", "reason", "vat_rate", "reason_code")
    return {**dict(zip(keys, parts, strict=False)), "is_charge": charge}


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
    line: list[str] = typer.Option(
        None, "--line",
        help="'Description|qty|price[|category|rate[|unit]][|kind=subscription|beneficiary=C…"
             "|exemption_reason=…]'."),
    charge: list[str] = typer.Option(None, "--charge",
                                     help="Document charge: 'amount|reason[|rate[|code]]'."),
    allowance: list[str] = typer.Option(None, "--allowance",
                                        help="Document allowance: 'amount|reason[|rate[|code]]'."),
    po_number: str = typer.Option(None, "--po", help="Buyer PO / legal commitment (BT-13)."),
    service_code: str = typer.Option(None, "--service-code",
                                     help="Public buyer's service code (BT-10)."),
    issue_date: str = DATE,
    actor: str = ACTOR,
    no_vies: bool = NO_VIES,
    send: bool = typer.Option(False, "--send", help="Also deliver it: e-mail, and Chorus Pro "
                                                     "for a public buyer."),
) -> None:
    """Issue an invoice from a file or from options, then seal and archive it; prints it."""
    data: dict[str, Any] = _read_file(file) if file else {}
    if customer:
        data["customer"] = customer
    if line:
        data["lines"] = [*data.get("lines", []), *(_parse_line(x) for x in line)]
    adjustments = [*(_parse_adjustment(x, charge=True) for x in charge or []),
                   *(_parse_adjustment(x, charge=False) for x in allowance or [])]
    if adjustments:
        data["adjustments"] = [*data.get("adjustments", []), *adjustments]
    if po_number:
        data["po_number"] = po_number
    if service_code:
        data["service_code"] = service_code
    if issue_date:
        data["issue_date"] = issue_date
    services = _services(actor)
    checked = posting.issue(services, data, recheck_vies=not no_vies)
    console.print(_summary(checked.invoice), highlight=False)
    _vies_warning(checked)
    _post(services, checked, send=send)


def _services(actor: str | None) -> Services:
    return services().acting_as(_actor(actor))


def _post(services: Services, checked: Checked | str, *, send: bool = False) -> None:
    """Seal and archive what was just issued; say how to finish if that step fails."""
    number = checked if isinstance(checked, str) else checked.invoice.number
    assert number is not None
    try:
        posted = posting.post(services, number)
    except LiasseError as exc:
        raise type(exc)(
            f"{number} est émise (numéro pris) mais pas encore archivée : {exc.fr} — "
            f"corrigez puis lancez `liasse invoices post {number}`.",
            f"{number} is issued (number taken) but not archived yet: {exc.en} — fix "
            f"it, then run `liasse invoices post {number}`.",
        ) from exc
    console.print(tr(f"cachetée et archivée (#{posted.archive_id}, sha256 {posted.sha256[:16]}…)",
                     f"sealed and archived (#{posted.archive_id}, sha256 {posted.sha256[:16]}…)"),
                  highlight=False)
    if send:
        for note in posting.route(services, number):
            console.print(note, highlight=False)


@app.command("post")
def post(
    number: str,
    actor: str = ACTOR,
    send: bool = typer.Option(False, "--send", help="Also deliver it (e-mail, Chorus Pro)."),
) -> None:
    """Finish posting an issued invoice: render once, seal, check, archive (idempotent)."""
    services = _services(actor)
    with services.factory() as session:
        get_invoice(session, number)  # a clear "not found" before anything else
    _post(services, number, send=send)


def _vies_warning(checked: Checked) -> None:
    if checked.vies is not None and checked.vies.warning:
        console.print(Text(checked.vies.warning, style="yellow"))


@app.command("show")
def show(
    number: str,
    as_json: bool = typer.Option(False, "--json"),
    pdf: Path = typer.Option(None, "--pdf", help="Also write its archived PDF to this path."),
) -> None:
    """Show an invoice or credit note: parties, lines, VAT breakdown, totals."""
    if pdf is not None:
        _write_pdf(number, pdf)
    with session_factory()() as session:
        inv = get_invoice(session, number)
        status = credit_status(session, inv)
        if as_json:
            console.print_json(json.dumps(_as_dict(inv, status.credit_notes), default=str))
            return
        console.print(_summary(inv), highlight=False, markup=False)
        console.print(f"{tr('État', 'State')} : {inv.state.value} — "
                      f"{tr('échéance', 'due')} {inv.due_date} — {inv.payment_terms}",
                      highlight=False, markup=False)
        for label, party in ((tr("Vendeur", "Seller"), inv.seller),
                             (tr("Acheteur", "Buyer"), inv.buyer)):
            console.print(f"{label} : {_party(party)}", highlight=False, markup=False)
        references = {tr("Bon de commande / engagement", "Purchase order"): inv.po_number,
                      tr("Code service", "Service code"): inv.service_code,
                      tr("Période", "Period"): f"{inv.period_start} → {inv.period_end}"
                      if inv.period_start or inv.period_end else None,
                      tr("Livraison", "Delivery"): inv.delivery_date}
        for label, value in references.items():
            if value:
                console.print(f"{label} : {value}", highlight=False, markup=False)
        if inv.referenced_number:
            console.print(f"{tr('Facture d’origine', 'Original invoice')} : "
                          f"{inv.referenced_number} ({inv.referenced_date})", highlight=False)
        if status.credit_notes:
            console.print(f"{tr('Avoirs', 'Credit notes')} : {', '.join(status.credit_notes)} "
                          f"— {tr('reste à créditer', 'remaining')} {status.remaining} € HT",
                          highlight=False)
        table = Table("#", tr("Libellé", "Description"), _amount(tr("Qté", "Qty")),
                      _amount(tr("PU", "Price")), _amount(tr("Remise", "Disc.")),
                      _amount("TVA"), _amount(tr("Net HT", "Net")))
        for ln in inv.lines:
            label = ln.description + (f" ({ln.beneficiary_name})" if ln.beneficiary_name else "")
            table.add_row(str(ln.position), Text(label), f"{ln.quantity.normalize():f}",
                          f"{ln.unit_price.normalize():f}", f"{ln.discount_pct.normalize():f} %",
                          f"{ln.vat_category} {ln.vat_rate.normalize():f} %", str(ln.net_amount))
        _print_whole(table)
        if inv.adjustments:
            charges = Table("#", tr("Remise / frais", "Allowance / charge"),
                            tr("Motif", "Reason"), _amount(tr("Montant HT", "Amount")),
                            _amount("TVA"), title=tr("Remises et frais du document",
                                                     "Document allowances and charges"))
            for adj in inv.adjustments:
                what = tr("frais", "charge") if adj.is_charge else tr("remise", "allowance")
                reason = adj.reason + (f" ({adj.reason_code})" if adj.reason_code else "")
                charges.add_row(str(adj.position), what, Text(reason),
                                f"{'' if adj.is_charge else '-'}{adj.amount}",
                                f"{adj.vat_category} {adj.vat_rate.normalize():f} %")
            _print_whole(charges)
        for row in inv.vat_breakdown:
            console.print(f"TVA {row['category']} {row['rate']} % : {tr('base', 'base')} "
                          f"{row['taxable_amount']} € — {row['tax_amount']} €"
                          + (f" — {row['exemption_reason']}" if row["exemption_reason"] else ""),
                          highlight=False, markup=False)
        console.print(
            f"{tr('Total lignes', 'Line total')} {inv.line_total} € — "
            f"{tr('remises', 'allowances')} {inv.allowance_total} € — "
            f"{tr('frais', 'charges')} {inv.charge_total} € — "
            f"{tr('acompte', 'prepaid')} {inv.prepaid_amount} € — "
            f"{tr('net à payer', 'amount due')} {inv.due_payable_amount} €",
            highlight=False, markup=False)


def _party(party: dict[str, Any]) -> str:
    """A seller or buyer snapshot on one line: name, address, identifiers."""
    name = party.get("name") or ""
    if party.get("customer_number"):
        name += f" ({party['customer_number']})"
    if party.get("contact_name"):
        name += f", {tr('à l’attention de', 'attn.')} {party['contact_name']}"
    place = " ".join(p for p in (party.get("postcode"), party.get("city")) if p)
    address = ", ".join(p for p in (*party.get("address_lines", ()), place,
                                    party.get("country")) if p)
    ids = [f"{label} {party[key]}" for key, label in (
        ("siret", "SIRET"), ("vat_number", tr("TVA", "VAT")), ("email", "e-mail"))
        if party.get(key)]
    if party.get("is_public_buyer"):
        ids.append(tr("acheteur public (Chorus Pro)", "public buyer (Chorus Pro)"))
    return " — ".join(p for p in (name, address, ", ".join(ids)) if p)


def _amount(header: str) -> Column:
    """A column of amounts: right-aligned and never wrapped or cut."""
    return Column(header, justify="right", no_wrap=True)


def _print_whole(table: Table) -> None:
    """Print `table` without cutting a cell: on a terminal too narrow for it, rich would end
    amounts with "…"; the table is drawn as wide as it needs instead (the terminal wraps)."""
    needed = Measurement.get(console, console.options.update_width(100_000), table).minimum
    if needed <= console.width:
        console.print(table)
        return
    Console(file=console.file, width=needed, force_terminal=console.is_terminal,
            no_color=console.no_color, color_system=console.color_system
            ).print(table)


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
                      _amount("HT"), _amount("TVA"), _amount("TTC"), tr("État", "State"))
        for inv in rows:
            table.add_row(inv.number, inv.type_code, str(inv.issue_date), Text(inv.buyer_name),
                          str(inv.tax_basis_total), str(inv.tax_total), str(inv.grand_total),
                          inv.state.value)
        _print_whole(table)


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
    services = _services(actor)
    checked = posting.credit(services, data)
    console.print(_summary(checked.invoice), highlight=False)
    _post(services, checked)


@app.command("reissue")
def reissue(
    number: str,
    file: Path = typer.Argument(..., help="YAML/JSON of the corrected invoice."),
    reason: str = typer.Option(..., "--reason"),
    actor: str = ACTOR,
    no_vies: bool = NO_VIES,
) -> None:
    """Cancel an invoice with a credit note and issue its corrected replacement, atomically."""
    services = _services(actor)
    note, new = posting.reissue(services, {"invoice": number, "reason": reason},
                                _read_file(file), recheck_vies=not no_vies)
    console.print(_summary(note.invoice), highlight=False)
    _post(services, note)
    console.print(_summary(new.invoice), highlight=False)
    _vies_warning(new)
    _post(services, new)


@app.command("render")
def render_(
    number: str,
    output: Path = typer.Option(None, "--output", "-o", help="PDF path (default NUMBER.pdf)."),
) -> None:
    """Write the sealed Factur-X PDF/A-3 of an issued invoice or credit note: the archived
    bytes (hash-checked), exactly as issued, whatever the company profile says today."""
    _write_pdf(number, output)


def _write_pdf(number: str, output: Path | None) -> None:
    pdf = posting.issued_pdf(services(), number)
    target = output or Path(f"{number}.pdf")
    target.write_bytes(pdf)
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
