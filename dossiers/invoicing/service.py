"""Issuing invoices: checked input in, numbered immutable invoice out, in one transaction.

Everything that can be refused (customer type or state, VAT rules, identifiers, chronology) is
checked before the number is taken; the number is taken in the same transaction as the insert,
and the audit event is appended after every number the transaction needs (see numbering.py for
the lock order). Callers run these functions inside `dossiers.db.transaction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.models import Customer
from dossiers.db import utcnow
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.building import apply_totals, business_process, check_parties_for_vat
from dossiers.invoicing.inputs import InvoiceInput, LineInput, PaymentMeansInput, parse_input
from dossiers.invoicing.models import (
    Invoice,
    InvoiceAdjustment,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    LineKind,
)
from dossiers.invoicing.numbering import take_number
from dossiers.invoicing.parties import (
    SellerSnapshot,
    buyer_snapshot,
    find_customer,
    resolve_beneficiary,
)
from dossiers.invoicing.vat import check_rate, exemption_for, parse_category

#: Free-text payment methods of the customer record mapped to UNTDID 4461 codes.
PAYMENT_METHOD_CODES = {
    "direct_debit": "59", "sepa_direct_debit": "59", "prelevement": "59", "prélèvement": "59",
    "card": "48", "cb": "48", "carte": "48", "purchase_card": "54", "carte_achat": "54",
    "transfer": "58", "virement": "58",
}


def _discount(customer: Customer, line: LineInput) -> Decimal:
    if line.discount_pct is not None:
        return line.discount_pct
    if line.kind is LineKind.SUBSCRIPTION:
        return customer.discount_subscriptions_pct or Decimal(0)
    return customer.discount_items_pct or Decimal(0)


def _line(session: Session, customer: Customer, data: LineInput, position: int,
          language: str) -> InvoiceLine:
    where = f" (ligne {position})"
    category = parse_category(data.vat_category, where)
    code, reason = exemption_for(category, data.exemption_code, data.exemption_reason, language,
                                 where)
    beneficiary = (resolve_beneficiary(session, customer, data.beneficiary, where)
                   if data.beneficiary else None)
    return InvoiceLine(
        position=position, kind=data.kind, description=data.description,
        quantity=data.quantity, unit_code=data.unit_code, unit_price=data.unit_price,
        discount_pct=_discount(customer, data), vat_category=category.value,
        vat_rate=check_rate(category, data.vat_rate, where), exemption_code=code,
        exemption_reason=reason,
        beneficiary_id=beneficiary.id if beneficiary else None,
        beneficiary_name=beneficiary.display_name if beneficiary else None,
    )


def _payment_means(invoice: Invoice, customer: Customer, seller: SellerSnapshot,
                   given: PaymentMeansInput | None) -> None:
    code = given.code if given else PAYMENT_METHOD_CODES.get(
        (customer.payment_method or "").strip().lower(), "58")
    if code == "59" and not (given and given.mandate_reference) and not customer.mandate_reference:
        if given:
            raise ValidationError(
                f"Prélèvement SEPA impossible : le client {customer.number} n'a pas de mandat "
                "(RUM).",
                f"SEPA direct debit impossible: customer {customer.number} has no mandate "
                "reference.",
            )
        code = "58"  # no mandate yet: fall back to a transfer
    invoice.payment_means_code = code
    if code in ("30", "58"):
        invoice.payee_iban = (given.iban if given else None) or seller.iban
        invoice.payee_bic = (given.bic if given else None) or seller.bic
        if not invoice.payee_iban:
            raise ValidationError(
                "Virement : le profil société n'a pas d'IBAN à indiquer sur la facture.",
                "Credit transfer: the company profile has no IBAN to print on the invoice.",
            )
    elif code == "59":
        invoice.mandate_reference = (given.mandate_reference if given else None) or (
            customer.mandate_reference)
        invoice.creditor_id = (given.creditor_id if given else None) or seller.sepa_creditor_id
        invoice.debtor_iban = (given.debtor_iban if given else None) or customer.iban
    else:
        invoice.card_last_digits = given.card_last_digits if given else None


def _payment_terms(language: str, days: int, due: date) -> str:
    if days == 0:
        return tr(f"Paiement à réception, le {due:%d/%m/%Y} au plus tard.",
                  f"Payment on receipt, by {due:%Y-%m-%d} at the latest.", language)
    return tr(f"Paiement à {days} jours, échéance le {due:%d/%m/%Y}.",
              f"Payment within {days} days, due on {due:%Y-%m-%d}.", language)


def prepare_invoice(
    session: Session, data: InvoiceInput, seller: SellerSnapshot, today: date
) -> Invoice:
    """A complete draft (not added to the session): parties frozen, totals computed."""
    customer = find_customer(session, data.customer)
    buyer = buyer_snapshot(customer)
    language = data.language or customer.invoice_language or "fr"
    issue_date = data.issue_date or today
    due = issue_date + timedelta(days=customer.payment_term_days or 0)
    lines = [_line(session, customer, ln, i, language) for i, ln in enumerate(data.lines, 1)]
    adjustments = [
        InvoiceAdjustment(
            position=i, is_charge=a.is_charge, amount=a.amount, reason=a.reason,
            reason_code=a.reason_code, vat_category=parse_category(a.vat_category).value,
            vat_rate=check_rate(parse_category(a.vat_category), a.vat_rate),
        )
        for i, a in enumerate(data.adjustments, 1)
    ]
    categories = {ln.vat_category for ln in lines} | {a.vat_category for a in adjustments}
    check_parties_for_vat(categories, seller.vat_number, seller.country, buyer)
    invoice = Invoice(
        kind=InvoiceKind.INVOICE, type_code=InvoiceKind.INVOICE.type_code, series=data.series,
        state=InvoiceState.DRAFT, customer_id=customer.id, buyer_name=buyer.name,
        buyer=buyer.to_dict(), seller=seller.to_dict(), language=language, currency="EUR",
        issue_date=issue_date, due_date=due,
        delivery_date=data.delivery_date or (issue_date if "K" in categories else None),
        period_start=data.period_start, period_end=data.period_end,
        business_process=business_process([ln.kind for ln in lines]),
        payment_terms=data.payment_terms or _payment_terms(language,
                                                           customer.payment_term_days or 0, due),
        po_number=data.po_number, service_code=data.service_code or (
            customer.service_code if customer.is_public_buyer else None),
        notes=seller.notes_for(language) + [{"code": "AAI", "text": n} for n in data.notes],
        prepaid_amount=data.prepaid_amount, lines=lines, adjustments=adjustments,
    )
    _payment_means(invoice, customer, seller, data.payment_means)
    apply_totals(invoice)
    return invoice


def number_invoice(session: Session, invoice: Invoice, actor: str) -> None:
    """Take the series' next number and mark the invoice issued (no audit event yet)."""
    invoice.number = take_number(session, invoice.series, invoice.issue_date)
    invoice.state = InvoiceState.ISSUED
    invoice.issued_at = invoice.state_changed_at = utcnow()
    invoice.issued_by = actor
    session.add(invoice)
    session.flush()


def audit_data(invoice: Invoice) -> dict[str, Any]:
    return {
        "number": invoice.number, "kind": invoice.kind.value, "issue_date": str(invoice.issue_date),
        "tax_basis_total": str(invoice.tax_basis_total), "tax_total": str(invoice.tax_total),
        "grand_total": str(invoice.grand_total), "referenced_number": invoice.referenced_number,
    }


def record_issue(session: Session, invoice: Invoice, actor: str) -> None:
    record(session, f"{invoice.kind.value}.issued", subject_type="invoice",
           subject_id=invoice.id, actor=actor, customer_id=invoice.customer_id,
           data=audit_data(invoice))


def issue_invoice(
    session: Session,
    data: InvoiceInput | Mapping[str, Any],
    seller: SellerSnapshot,
    *,
    actor: str = "system",
    today: date | None = None,
) -> Invoice:
    """Check, number and store one invoice. Raises before taking a number if anything is wrong."""
    checked = parse_input(InvoiceInput, data)
    invoice = prepare_invoice(session, checked, seller, today or date.today())
    number_invoice(session, invoice, actor)
    record_issue(session, invoice, actor)
    return invoice
