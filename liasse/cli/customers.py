"""`liasse customers ...`: create, list, show, search, export and maintain customer records.

Every command opens one transaction: a refused input prints one line and writes nothing.
Entering another EU member state's VAT number (`add --vat`, `update vat=`) then asks VIES
and records its answer (`--no-vies` skips it, e.g. offline): valid with the registered name,
invalid as a warning, "could not verify" when VIES is down — the customer is kept in every case.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from application.vies_checks import check_customer_vat, default_checker, needs_vies_check
from dossiers.customers.actions import add_action
from dossiers.customers.addresses import add_address
from dossiers.customers.export import COLUMNS, DEFAULT_COLUMNS, export_customers
from dossiers.customers.inputs import PUBLIC_NAMES, field_named
from dossiers.customers.models import (
    Customer,
    CustomerAction,
    CustomerState,
    CustomerType,
    VatCheckStatus,
)
from dossiers.customers.npai import record_postal_return
from dossiers.customers.rules import invoicing_warnings
from dossiers.customers.search import quick_search
from dossiers.customers.selection import define_selection_code, set_selection
from dossiers.customers.service import (
    change_state,
    company_contacts,
    create_customer,
    get_customer,
    update_customer,
)
from dossiers.customers.vat_checks import latest_vat_check
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from dossiers.staff.models import StaffUser
from liasse.cli.environment import console, session_factory, settings

NAME = "customers"
app = typer.Typer(help="Fichier clients. / Customer records.", no_args_is_help=True)

ACTOR = "cli"
NO_VIES = typer.Option(False, "--no-vies", help="Do not ask VIES about the VAT number.")
VIES_STYLE = {VatCheckStatus.VALID: "green", VatCheckStatus.INVALID: "bold red",
              VatCheckStatus.UNVERIFIED: "yellow"}


def _vies_check(number: str, vat_number: str | None) -> None:
    """Ask VIES about a just-saved intra-EU VAT number and say what it answered."""
    if not needs_vies_check(vat_number):
        return
    result = check_customer_vat(session_factory(), number, default_checker(),
                                actor=ACTOR)
    console.print(Text(result.message(), style=VIES_STYLE[result.status]))


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"Date invalide pour {option} : « {text} » (AAAA-MM-JJ attendu).",
                              f"Invalid date for {option}: '{text}' (YYYY-MM-DD expected)."
                              ) from None


def _choice(enum_type: type[Any], value: str, option: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise ValidationError(f"Valeur inconnue pour {option} : {value} (choix : {allowed}).",
                              f"Unknown value for {option}: {value} (choices: {allowed})."
                              ) from None


def _given(**values: Any) -> dict[str, Any]:
    """Only the options the user actually passed."""
    return {k: v for k, v in values.items() if v is not None}


@app.command("add")
def add(
    sales_rep: str = typer.Option(..., "--sales-rep", help="Login of the sales rep."),
    type_: str = typer.Option("normal", "--type",
                              help="normal | third_party_payer | beneficiary | prospect"),
    company: bool = typer.Option(False, "--company", help="This record is a company."),
    company_name: str = typer.Option(None, "--company-name"),
    company_number: str = typer.Option(None, "--company-number",
                                       help="Attach as a contact of this company record."),
    title: str = typer.Option(None, "--title"),
    last_name: str = typer.Option(None, "--last-name"),
    first_name: str = typer.Option(None, "--first-name"),
    name_extra: str = typer.Option(None, "--name-extra", help="Address line 3."),
    street: str = typer.Option(None, "--street", help="Address line 4."),
    address_extra: str = typer.Option(None, "--address-extra", help="Address line 5."),
    postcode: str = typer.Option(None, "--postcode"),
    city: str = typer.Option(None, "--city"),
    country: str = typer.Option("FR", "--country"),
    email: str = typer.Option(None, "--email"),
    mobile: str = typer.Option(None, "--mobile"),
    phone: str = typer.Option(None, "--phone"),
    siret: str = typer.Option(None, "--siret"),
    vat: str = typer.Option(None, "--vat", help="Intra-EU VAT number."),
    vat_regime: str = typer.Option(None, "--vat-regime", help="france | eu | export | exempt"),
    payment_term: int = typer.Option(None, "--payment-term", help="Days after invoice date."),
    discount_subscriptions: str = typer.Option(None, "--discount-subscriptions"),
    discount_items: str = typer.Option(None, "--discount-items"),
    ledger_account: str = typer.Option(None, "--ledger-account"),
    auxiliary_account: str = typer.Option(None, "--auxiliary-account"),
    iban: str = typer.Option(None, "--iban"),
    bic: str = typer.Option(None, "--bic"),
    mandate: str = typer.Option(None, "--mandate", help="SEPA mandate reference (RUM)."),
    payer: str = typer.Option(None, "--payer", help="Number of the third-party payer."),
    public_buyer: bool = typer.Option(False, "--public-buyer"),
    service_code: str = typer.Option(None, "--service-code"),
    invoice_language: str = typer.Option(None, "--invoice-language"),
    no_vies: bool = NO_VIES,
) -> None:
    """Create a customer; prints its number (and what VIES says of an EU VAT number)."""
    data = _given(
        type=type_, is_company=company, company_name=company_name,
        company_number=company_number, title=title, last_name=last_name,
        first_name=first_name, address_name_extra=name_extra, address_street=street,
        address_extra=address_extra, postcode=postcode, city=city, country=country,
        email=email, mobile=mobile, phone=phone, siret=siret, vat_number=vat,
        vat_regime=vat_regime, payment_term_days=payment_term,
        discount_subscriptions_pct=discount_subscriptions, discount_items_pct=discount_items,
        ledger_account=ledger_account, auxiliary_account=auxiliary_account, iban=iban, bic=bic,
        mandate_reference=mandate, payer_number=payer, is_public_buyer=public_buyer,
        service_code=service_code, invoice_language=invoice_language,
        sales_rep_login=sales_rep,
    )
    with transaction(session_factory()) as session:
        customer = create_customer(session, data, actor=ACTOR)
        number, name, vat_number = customer.number, customer.display_name, customer.vat_number
        warnings = invoicing_warnings(customer)
    console.print(tr(f"Client {number} créé : {name}.",
                             f"Customer {number} created: {name}."), highlight=False)
    for warning in warnings:  # the customer is kept; its invoices would be refused
        console.print(Text(warning.message, style="yellow"))
    if not no_vies:
        _vies_check(number, vat_number)


def _table(customers: list[Customer]) -> Table:
    table = Table(tr("Numéro", "Number"), tr("Type", "Type"), tr("État", "State"),
                  tr("Nom", "Name"), tr("Code postal", "Postcode"), tr("Ville", "City"))
    for c in customers:
        table.add_row(c.number, c.type.value, c.state.value, c.display_name, c.postcode or "",
                      c.city or "")
    return table


@app.command("list")
def list_(
    type_: str = typer.Option(None, "--type"),
    state: str = typer.Option(None, "--state"),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """List customers by number."""
    query = select(Customer).order_by(Customer.number).limit(limit)
    if type_:
        query = query.where(Customer.type == _choice(CustomerType, type_, "--type"))
    if state:
        query = query.where(Customer.state == _choice(CustomerState, state, "--state"))
    with session_factory()() as session:
        customers = list(session.scalars(query).unique())
        console.print(_table(customers))


@app.command("search")
def search(
    value: str = typer.Argument(..., help="What to look for."),
    by: str = typer.Option("all", "--by",
                           help="all | number | name | company | postcode | city | selection"),
) -> None:
    """Quick search, case- and accent-insensitive."""
    with session_factory()() as session:
        found = list(quick_search(session, by, value))
        console.print(_table(found))
        console.print(tr(f"{len(found)} client(s).", f"{len(found)} customer(s)."))


@app.command("export")
def export(
    output: Path = typer.Argument(..., help="The .xlsx file to write."),
    value: str = typer.Option(None, "--value", help="Search value; all customers if omitted."),
    by: str = typer.Option("all", "--by"),
    columns: str = typer.Option(",".join(DEFAULT_COLUMNS), "--columns",
                                help=f"Comma-separated among: {', '.join(COLUMNS)}"),
    lang: str = typer.Option(None, "--headers", help="fr (default) or en headers."),
) -> None:
    """Export a selection of customers to Excel."""
    keys = [c.strip() for c in columns.split(",") if c.strip()]
    with session_factory()() as session:
        if value:
            customers = list(quick_search(session, by, value, limit=None))
        else:
            customers = list(session.scalars(select(Customer).order_by(Customer.number)).unique())
        content = export_customers(customers, keys, language=lang)
    output.write_bytes(content)
    console.print(tr(f"{len(customers)} client(s) exporté(s) dans {output}.",
                             f"{len(customers)} customer(s) exported to {output}."),
                          highlight=False)


@app.command("show")
def show(number: str = typer.Argument(...)) -> None:
    """Show one customer record with its addresses, selection codes, contacts and actions."""
    out = console
    with session_factory()() as session:
        c = get_customer(session, number)
        out.print(Text.assemble((c.number, "bold"),
                                f" {c.display_name} — {c.type.value}, {c.state.value}"))
        lines = [c.company_name, " ".join(p for p in (c.title, c.last_name, c.first_name) if p),
                 c.address_name_extra, c.address_street, c.address_extra,
                 " ".join(p for p in (c.postcode, c.city) if p)]
        for line in filter(None, lines):
            out.print(f"  {line}", highlight=False, markup=False)
        for key, val in _details(session, c).items():
            if val:
                out.print(f"  {key} : {val}", highlight=False, markup=False)
        check = latest_vat_check(session, c.id)
        if check is not None:
            named = f" — {check.registered_name}" if check.registered_name else ""
            why = f" — {check.reason}" if check.reason and check.status is not (
                VatCheckStatus.VALID) else ""
            out.print(Text.assemble("  VIES : ", (check.status.value, VIES_STYLE[check.status]),
                                    f" {check.vat_number} ({check.checked_at:%Y-%m-%d %H:%M} "
                                    f"UTC){named}{why}"))
        for a in c.addresses:
            scope = a.title_code or tr("tous titres", "all titles")
            period = f"{a.valid_from or '…'} → {a.valid_until or '…'}"
            out.print(f"  [{a.kind.value}] {a.street or ''} {a.postcode} {a.city} "
                      f"({scope}, {period})", highlight=False, markup=False)
        for sel in c.selections:
            out.print(f"  {sel.code.code} = {sel.value}", highlight=False, markup=False)
        for contact in company_contacts(session, c):
            out.print(f"  contact {contact.number} {contact.display_name}", highlight=False,
                      markup=False)
        actions = session.scalars(select(CustomerAction).where(
            CustomerAction.customer_id == c.id).order_by(CustomerAction.id)).unique()
        for a in actions:
            mark = "x" if a.done else " "
            reminder = tr(f" (rappel {a.reminder_on})", f" (reminder {a.reminder_on})")
            out.print(f"  [{mark}] #{a.id} {a.kind.value}: {a.subject}"
                      f"{reminder if a.reminder_on else ''}", highlight=False, markup=False)


def _percent(value: Any) -> str:
    return f"{value.normalize():f} %" if value is not None else "0 %"


def _details(session: Any, c: Customer) -> dict[str, str | None]:
    """Every field of the record a user may need, by its label; empty ones are left out."""
    yes, no = tr("oui", "yes"), tr("non", "no")
    rep = session.get(StaffUser, c.sales_rep_id) if c.sales_rep_id else None
    exclusions = [name for name, on in (("no-sms", c.no_sms), ("no-mailing", c.no_mailing),
                                        ("no-emailing", c.no_emailing),
                                        ("do-not-share", c.do_not_share)) if on]
    return {
        "e-mail": c.email,
        "mobile": c.mobile,
        tr("téléphone", "phone"): c.phone,
        "SIRET": c.siret,
        tr("TVA", "VAT"): c.vat_number,
        tr("affiliation TVA", "VAT regime"): str(c.vat_regime),
        tr("langue de facture", "invoice language"): c.invoice_language,
        tr("échéance", "payment term"): tr(f"{c.payment_term_days} jour(s)",
                                           f"{c.payment_term_days} day(s)"),
        tr("mode de paiement", "payment method"): c.payment_method,
        tr("remise abonnements", "subscription discount"): _percent(
            c.discount_subscriptions_pct),
        tr("remise factures", "invoice discount"): _percent(c.discount_items_pct),
        tr("acheteur public (Chorus Pro)", "public buyer (Chorus Pro)"):
            yes if c.is_public_buyer else no,
        tr("code service", "service code"): c.service_code,
        tr("compte général", "ledger account"): c.ledger_account,
        tr("compte auxiliaire", "auxiliary account"): c.auxiliary_account,
        "IBAN": c.iban, "BIC": c.bic,
        "RUM": c.mandate_reference + (f" ({c.mandate_signed_on})" if c.mandate_signed_on
                                      else "") if c.mandate_reference else None,
        tr("tiers payant", "payer"): c.payer.number if c.payer else None,
        tr("commercial", "sales rep"): rep.login if rep else None,
        tr("exclusions", "exclusions"): ", ".join(exclusions) or None,
        "NPAI": str(c.undeliverable_count) if c.undeliverable_count else None,
        tr("notes", "notes"): c.notes,
    }


@app.command("update")
def update(
    number: str = typer.Argument(...),
    assignments: list[str] = typer.Argument(..., help="field=value pairs (empty value clears)"),
    no_vies: bool = NO_VIES,
) -> None:
    """Change fields of a customer, e.g. `city=LYON postcode=69001 vat=FR44732829320`.

    Field names are the options of `customers add` without their dashes (`street`, `vat`,
    `discount-items`, `public-buyer`...)."""
    changes: dict[str, Any] = {}
    unknown: list[str] = []
    for item in assignments:
        key, sep, val = item.partition("=")
        if not sep:
            raise ValidationError(f"« {item} » : champ=valeur attendu.",
                                  f"'{item}': field=value expected.")
        field = field_named(key)
        if field is None:
            unknown.append(key.strip())
            continue
        changes[field] = _yes_no(val)
    if unknown:
        valid = ", ".join(sorted(PUBLIC_NAMES))
        raise ValidationError(
            f"Champ(s) inconnu(s) : {', '.join(unknown)}. Champs possibles : {valid}.",
            f"Unknown field(s): {', '.join(unknown)}. Valid fields: {valid}.")
    with transaction(session_factory()) as session:
        customer = update_customer(session, number, changes, actor=ACTOR)
        number, vat_number = customer.number, customer.vat_number
    console.print(tr(f"Client {number} mis à jour.", f"Customer {number} updated."))
    if "vat_number" in changes and not no_vies:
        _vies_check(number, vat_number)


def _yes_no(value: str) -> str:
    """`public-buyer=oui` as well as `=yes` / `=true`."""
    return {"oui": "true", "non": "false"}.get(value.strip().lower(), value)


@app.command("vat-check")
def vat_check(number: str = typer.Argument(...)) -> None:
    """Ask VIES again about a customer's VAT number and record the answer."""
    with session_factory()() as session:
        customer = get_customer(session, number)
        number, vat_number = customer.number, customer.vat_number
    if not needs_vies_check(vat_number):
        raise ValidationError(
            f"Le client {number} n'a pas de numéro de TVA d'un autre État membre de l'UE "
            f"({vat_number or 'aucun'}) : rien à demander à VIES.",
            f"Customer {number} has no VAT number from another EU member state "
            f"({vat_number or 'none'}): nothing to ask VIES.")
    _vies_check(number, vat_number)


@app.command("state")
def state(
    number: str = typer.Argument(...),
    new_state: str = typer.Argument(..., help="active | suspended | struck_off"),
    reason: str = typer.Option(None, "--reason"),
) -> None:
    """Suspend, strike off or reactivate a customer."""
    with transaction(session_factory()) as session:
        change_state(session, number, new_state, actor=ACTOR, reason=reason)
    console.print(tr(f"Client {number} : {new_state}.", f"Customer {number}: {new_state}."))


@app.command("postal-return")
def postal_return(number: str = typer.Argument(...)) -> None:
    """Record a letter returned by La Poste (NPAI)."""
    threshold = settings().npai_threshold
    with transaction(session_factory()) as session:
        outcome = record_postal_return(session, number, threshold=threshold, actor=ACTOR)
    console.print(tr(f"NPAI {outcome.count}/{threshold}.",
                             f"Postal returns {outcome.count}/{threshold}."))
    if outcome.suspension_proposed:
        console.print(tr(
            f"Seuil atteint : suspendre les livraisons ? `liasse customers state {number} "
            "suspended`",
            f"Threshold reached: suspend deliveries? `liasse customers state {number} suspended`",
        ), highlight=False)


@app.command("action")
def action(
    number: str = typer.Argument(...),
    kind: str = typer.Option(..., "--kind", help="letter | email | address_change | note"),
    subject: str = typer.Option(..., "--subject"),
    author: str = typer.Option(..., "--author", help="Login of the author."),
    copy_to: str = typer.Option(None, "--copy-to"),
    comment: str = typer.Option(None, "--comment"),
    remind: str = typer.Option(None, "--remind", help="Reminder date YYYY-MM-DD."),
) -> None:
    """Record an action; with --remind it shows in `liasse tasks` until done."""
    data = _given(kind=kind, subject=subject, author_login=author, copy_to_login=copy_to,
                  comment=comment, reminder_on=_date(remind, "--remind"))
    with transaction(session_factory()) as session:
        action_id = add_action(session, number, data).id
    console.print(tr(f"Action #{action_id} enregistrée.", f"Action #{action_id} saved."))


@app.command("address-add")
def address_add(
    number: str = typer.Argument(...),
    kind: str = typer.Option(..., "--kind", help="billing | delivery | reminder"),
    recipient: str = typer.Option(None, "--recipient"),
    company_name: str = typer.Option(None, "--company-name"),
    street: str = typer.Option(None, "--street"),
    address_extra: str = typer.Option(None, "--address-extra"),
    postcode: str = typer.Option(..., "--postcode"),
    city: str = typer.Option(..., "--city"),
    country: str = typer.Option("FR", "--country"),
    title_code: str = typer.Option(None, "--title-code", help="Only for this title."),
    valid_from: str = typer.Option(None, "--from"),
    valid_until: str = typer.Option(None, "--until"),
) -> None:
    """Add a billing, delivery or reminder address."""
    data = _given(kind=kind, recipient=recipient, company_name=company_name, street=street,
                  address_extra=address_extra, postcode=postcode, city=city, country=country,
                  title_code=title_code, valid_from=_date(valid_from, "--from"),
                  valid_until=_date(valid_until, "--until"))
    with transaction(session_factory()) as session:
        add_address(session, number, data, actor=ACTOR)
    console.print(tr("Adresse ajoutée.", "Address added."))


@app.command("code-define")
def code_define(
    code: str = typer.Argument(...),
    label: str = typer.Option(..., "--label"),
    choices: str = typer.Option(None, "--choices", help="Comma-separated allowed values."),
) -> None:
    """Define a selection code (free entry, or a list of values)."""
    values = [v for v in (choices or "").split(",") if v.strip()]
    with transaction(session_factory()) as session:
        define_selection_code(session, code, label, choices=values, actor=ACTOR)
    console.print(tr(f"Code {code.upper()} défini.", f"Code {code.upper()} defined."))


@app.command("code-set")
def code_set(number: str = typer.Argument(...), code: str = typer.Argument(...),
             value: str = typer.Argument(...)) -> None:
    """Give a customer a value for a selection code."""
    with transaction(session_factory()) as session:
        set_selection(session, number, code, value, actor=ACTOR)
    console.print(f"{number} : {code.upper()} = {value}", highlight=False)

