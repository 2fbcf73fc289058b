"""Excel export of a selection of customers (seed 002 "Export"), with openpyxl.

The user picks the columns (by key) or takes the default set; the first row holds the headers,
French by default. Values keep their type (numbers stay numbers, dates stay dates) so the sheet
can be sorted and summed in Excel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dossiers.customers.models import Customer
from dossiers.errors import ValidationError
from dossiers.i18n import tr


@dataclass(frozen=True)
class Column:
    key: str
    fr: str
    en: str
    value: Callable[[Customer], Any]


def _attr(name: str) -> Callable[[Customer], Any]:
    def read(customer: Customer) -> Any:
        value = getattr(customer, name)
        return getattr(value, "value", value)  # enums as their stored text

    return read


COLUMNS: dict[str, Column] = {c.key: c for c in (
    Column("number", "Numéro", "Number", _attr("number")),
    Column("type", "Type", "Type", _attr("type")),
    Column("state", "État", "State", _attr("state")),
    Column("company_name", "Société", "Company", _attr("company_name")),
    Column("title", "Civilité", "Title", _attr("title")),
    Column("last_name", "Nom", "Last name", _attr("last_name")),
    Column("first_name", "Prénom", "First name", _attr("first_name")),
    Column("address_name_extra", "Complément de nom", "Name complement",
           _attr("address_name_extra")),
    Column("address_street", "Adresse", "Street", _attr("address_street")),
    Column("address_extra", "Complément d'adresse", "Address complement",
           _attr("address_extra")),
    Column("postcode", "Code postal", "Postcode", _attr("postcode")),
    Column("city", "Ville", "City", _attr("city")),
    Column("country", "Pays", "Country", _attr("country")),
    Column("email", "E-mail", "E-mail", _attr("email")),
    Column("mobile", "Mobile", "Mobile", _attr("mobile")),
    Column("phone", "Téléphone", "Phone", _attr("phone")),
    Column("siret", "SIRET", "SIRET", _attr("siret")),
    Column("vat_number", "TVA intracommunautaire", "Intra-EU VAT number", _attr("vat_number")),
    Column("vat_regime", "Affiliation TVA", "VAT regime", _attr("vat_regime")),
    Column("payment_term_days", "Échéance (jours)", "Payment term (days)",
           _attr("payment_term_days")),
    Column("discount_subscriptions_pct", "Remise abonnements (%)", "Subscription discount (%)",
           _attr("discount_subscriptions_pct")),
    Column("discount_items_pct", "Remise factures (%)", "Invoice discount (%)",
           _attr("discount_items_pct")),
    Column("ledger_account", "Compte général", "Ledger account", _attr("ledger_account")),
    Column("auxiliary_account", "Compte auxiliaire", "Auxiliary account",
           _attr("auxiliary_account")),
    Column("iban", "IBAN", "IBAN", _attr("iban")),
    Column("bic", "BIC", "BIC", _attr("bic")),
    Column("mandate_reference", "RUM", "Mandate reference", _attr("mandate_reference")),
    Column("payer", "Tiers payant", "Third-party payer",
           lambda c: c.payer.number if c.payer else None),
    Column("undeliverable_count", "NPAI", "Postal returns", _attr("undeliverable_count")),
    Column("created_at", "Date de saisie", "Created on",
           lambda c: c.created_at.replace(tzinfo=None) if c.created_at else None),
)}

DEFAULT_COLUMNS = ("number", "type", "state", "company_name", "title", "last_name",
                   "first_name", "address_street", "postcode", "city", "email", "mobile")


def _pick(columns: Iterable[str] | None) -> list[Column]:
    keys = list(columns) if columns else list(DEFAULT_COLUMNS)
    unknown = [k for k in keys if k not in COLUMNS]
    if unknown:
        raise ValidationError(
            f"Colonne(s) inconnue(s) : {', '.join(unknown)} (choix : {', '.join(COLUMNS)}).",
            f"Unknown column(s): {', '.join(unknown)} (choices: {', '.join(COLUMNS)}).",
        )
    return [COLUMNS[k] for k in keys]


def export_customers(customers: Sequence[Customer], columns: Iterable[str] | None = None, *,
                     language: str | None = None) -> bytes:
    """An .xlsx workbook (as bytes): one header row, then one row per customer."""
    chosen = _pick(columns)
    book = Workbook()
    sheet = book.active
    sheet.title = tr("Clients", "Customers", language)
    sheet.append([tr(c.fr, c.en, language) for c in chosen])
    for customer in customers:
        sheet.append([c.value(customer) for c in chosen])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(chosen, start=1):
        width = max(len(tr(column.fr, column.en, language)), 10)
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 40)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
