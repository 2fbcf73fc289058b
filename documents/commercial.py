"""Commercial documents other than invoices: order form and its acknowledgement, renewal notice,
payment reminder.

Each document is a frozen dataclass (what the caller must provide) and a `render_*` function that
returns PDF/A-3b bytes. The recipient block is the NF Z10-011 postal address, so the same
document can go into a window envelope unchanged. Amounts on an order form are a quotation
computed here (per-line rounding, VAT per rate); invoices use the invoicing domain's totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from documents.errors import DocumentError
from documents.postal_address import PostalRecipient, format_address
from documents.profile import CompanyProfile
from documents.rendering import render_pdf

CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OrderLine:
    name: str
    quantity: Decimal
    unit_price: Decimal  # excluding VAT
    vat_rate: Decimal  # percent

    @property
    def amount(self) -> Decimal:
        return _cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class OrderForm:
    """Bon de commande: the first document of a customer file."""

    number: str
    issued_on: date
    customer: PostalRecipient
    lines: tuple[OrderLine, ...]
    customer_number: str | None = None
    customer_reference: str | None = None  # the buyer's PO number, if any
    valid_until: date | None = None
    conditions: str | None = None
    language: str = "fr"

    @property
    def total_excl_vat(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def vat_by_rate(self) -> dict[Decimal, Decimal]:
        bases: dict[Decimal, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            bases[line.vat_rate] += line.amount
        return {rate: _cents(base * rate / 100) for rate, base in sorted(bases.items())}

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + sum(self.vat_by_rate.values(), Decimal("0.00"))


@dataclass(frozen=True)
class OrderAcknowledgement:
    """Accusé de réception de commande."""

    order: OrderForm
    received_on: date
    expected_delivery: date | None = None
    message: str | None = None


@dataclass(frozen=True)
class RenewalNotice:
    """Avis de renouvellement: asks the customer to renew a subscription or membership term."""

    reference: str
    issued_on: date
    customer: PostalRecipient
    subscription: str
    current_end: date
    new_start: date
    new_end: date
    price_excl_vat: Decimal
    vat_rate: Decimal
    reply_by: date
    language: str = "fr"

    @property
    def price_incl_vat(self) -> Decimal:
        return self.price_excl_vat + _cents(self.price_excl_vat * self.vat_rate / 100)


@dataclass(frozen=True)
class OverdueInvoice:
    number: str
    issue_date: date
    due_date: date
    amount_due: Decimal


@dataclass(frozen=True)
class PaymentReminder:
    """Relance de paiement, level 1 (friendly) to 3 (formal notice)."""

    reference: str
    issued_on: date
    customer: PostalRecipient
    invoices: tuple[OverdueInvoice, ...]
    level: int = 1
    language: str = "fr"

    @property
    def total_due(self) -> Decimal:
        return sum((i.amount_due for i in self.invoices), Decimal("0.00"))


def render_order_form(order: OrderForm, profile: CompanyProfile) -> bytes:
    context = {"order": order, "address": format_address(order.customer)}
    return render_pdf("order_form.html", context, profile=profile, language=order.language)


def render_order_acknowledgement(ack: OrderAcknowledgement, profile: CompanyProfile) -> bytes:
    context = {"ack": ack, "order": ack.order, "address": format_address(ack.order.customer)}
    return render_pdf("order_ack.html", context, profile=profile, language=ack.order.language)


def render_renewal_notice(notice: RenewalNotice, profile: CompanyProfile) -> bytes:
    context = {"notice": notice, "address": format_address(notice.customer)}
    return render_pdf("renewal_notice.html", context, profile=profile, language=notice.language)


def render_payment_reminder(reminder: PaymentReminder, profile: CompanyProfile) -> bytes:
    if not 1 <= reminder.level <= 3:
        raise DocumentError(
            f"Niveau de relance invalide : {reminder.level} (1 à 3).",
            f"Invalid reminder level: {reminder.level} (1 to 3).",
        )
    if not reminder.invoices:
        raise DocumentError(
            "Une relance doit citer au moins une facture impayée.",
            "A reminder must list at least one unpaid invoice.",
        )
    context = {"reminder": reminder, "address": format_address(reminder.customer)}
    return render_pdf("payment_reminder.html", context, profile=profile,
                      language=reminder.language)
