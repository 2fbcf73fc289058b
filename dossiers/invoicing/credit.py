"""Credit notes: cancel an issued invoice wholly or partly, and re-issue after a change.

An issued invoice is never edited or deleted (French law, and `guard.py`); a mistake is fixed
by a credit note (TypeCode 381, positive amounts) that references the invoice (BT-25 / BT-26),
followed if needed by a new invoice: `reissue` does both in one transaction.

What remains creditable is tracked two ways: per line (credited quantities never exceed the
invoiced quantity) and in total (the credited amounts excluding VAT never exceed the invoice's).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.db import for_update
from dossiers.errors import ConflictError, NotFound, ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.building import apply_totals, copy_adjustment, copy_line
from dossiers.invoicing.inputs import InvoiceInput, Money, _Strict, parse_input
from dossiers.invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState, LineKind
from dossiers.invoicing.parties import SellerSnapshot
from dossiers.invoicing.service import number_invoice, prepare_invoice, record_issue
from dossiers.invoicing.totals import ZERO, money


class CreditLineInput(_Strict):
    position: Annotated[int, Field(ge=1)]  # line number on the invoice (BT-126)
    quantity: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)] | None = None


class CreditInput(_Strict):
    """Whole invoice (neither `lines` nor `amount`), some lines, or an amount excluding VAT."""

    invoice: str  # number of the invoice to credit
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    lines: list[CreditLineInput] | None = None
    amount: Annotated[Money, Field(gt=0)] | None = None
    issue_date: date | None = None

    @model_validator(mode="after")
    def _one_way(self) -> CreditInput:
        if self.lines is not None and self.amount is not None:
            raise ValidationError(
                "Avoir : indiquez soit des lignes, soit un montant, pas les deux.",
                "Credit note: give either lines or an amount, not both.",
            )
        return self


def find_invoice(session: Session, number: str, *, lock: bool = False) -> Invoice:
    query = select(Invoice).where(Invoice.number == number)
    if lock and for_update(session):
        query = query.with_for_update()
    invoice = session.scalars(query).one_or_none()
    if invoice is None:
        raise NotFound(f"Facture {number} introuvable.", f"Invoice {number} not found.")
    return invoice


def credited_so_far(session: Session, invoice: Invoice) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(Invoice.tax_basis_total), 0)).where(
            Invoice.referenced_invoice_id == invoice.id, Invoice.state != InvoiceState.DRAFT
        )
    )
    return Decimal(total or 0)


def _credited_quantities(session: Session, invoice: Invoice) -> dict[int, Decimal]:
    rows = session.execute(
        select(InvoiceLine.credited_line_id, func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.referenced_invoice_id == invoice.id, Invoice.state != InvoiceState.DRAFT,
               InvoiceLine.credited_line_id.is_not(None))
        .group_by(InvoiceLine.credited_line_id)
    ).all()
    return {line_id: Decimal(qty) for line_id, qty in rows}


def _credit_lines(session: Session, invoice: Invoice, data: CreditInput) -> list[InvoiceLine]:
    by_position = {ln.position: ln for ln in invoice.lines}
    done = _credited_quantities(session, invoice)
    lines = []
    for i, wanted in enumerate(data.lines or [], 1):
        line = by_position.get(wanted.position)
        if line is None:
            raise ValidationError(
                f"La facture {invoice.number} n'a pas de ligne {wanted.position}.",
                f"Invoice {invoice.number} has no line {wanted.position}.",
            )
        left = line.quantity - done.get(line.id, ZERO)
        quantity = wanted.quantity if wanted.quantity is not None else left
        if quantity <= 0 or quantity > left:
            raise ValidationError(
                f"Ligne {wanted.position} de la facture {invoice.number} : {quantity} à créditer "
                f"mais il ne reste que {left} non crédité.",
                f"Line {wanted.position} of invoice {invoice.number}: {quantity} to credit but "
                f"only {left} remains uncredited.",
            )
        lines.append(copy_line(line, i, quantity))
    return lines


def _amount_lines(invoice: Invoice, amount: Decimal, reason: str) -> list[InvoiceLine]:
    """Spread an amount excluding VAT over the invoice's VAT groups, pro rata of their bases."""
    groups = [g for g in invoice.vat_breakdown if Decimal(g["taxable_amount"]) > 0]
    base = sum((Decimal(g["taxable_amount"]) for g in groups), ZERO)
    lines, left = [], amount
    for i, group in enumerate(groups, 1):
        weight = Decimal(group["taxable_amount"]) / base
        share = left if i == len(groups) else money(amount * weight)
        left -= share
        if share <= 0:
            continue
        lines.append(InvoiceLine(
            position=len(lines) + 1, kind=LineKind.SERVICE,
            description=tr(f"Avoir partiel sur la facture {invoice.number} : {reason}",
                           f"Partial credit on invoice {invoice.number}: {reason}",
                           invoice.language),
            quantity=Decimal(1), unit_code="C62", unit_price=share, discount_pct=Decimal(0),
            vat_category=group["category"], vat_rate=Decimal(group["rate"]),
            exemption_code=group["exemption_code"], exemption_reason=group["exemption_reason"],
        ))
    return lines


def prepare_credit_note(
    session: Session, data: CreditInput, today: date
) -> tuple[Invoice, Invoice]:
    """(original invoice locked, credit note draft) — nothing numbered yet."""
    original = find_invoice(session, data.invoice, lock=True)
    if original.kind is not InvoiceKind.INVOICE or original.state is InvoiceState.DRAFT:
        raise ValidationError(
            f"{data.invoice} n'est pas une facture émise : seule une facture émise peut "
            "être créditée.",
            f"{data.invoice} is not an issued invoice: only issued invoices can be credited.",
        )
    already = credited_so_far(session, original)
    remaining = original.tax_basis_total - already
    if remaining <= 0:
        raise ConflictError(
            f"La facture {original.number} est déjà entièrement créditée.",
            f"Invoice {original.number} has already been fully credited.",
        )
    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE, type_code=InvoiceKind.CREDIT_NOTE.type_code,
        series="credit_note", state=InvoiceState.DRAFT, customer_id=original.customer_id,
        buyer_name=original.buyer_name, buyer=dict(original.buyer), seller=dict(original.seller),
        language=original.language, currency=original.currency,
        issue_date=data.issue_date or today, business_process=original.business_process,
        delivery_date=original.delivery_date, period_start=original.period_start,
        period_end=original.period_end,
        po_number=original.po_number, service_code=original.service_code,
        referenced_invoice_id=original.id, referenced_number=original.number,
        referenced_date=original.issue_date, prepaid_amount=Decimal(0),
        notes=[n for n in original.notes if n["code"] != "AAI"]
        + [{"code": "AAI", "text": data.reason}],
    )
    note.due_date = note.issue_date
    note.payment_terms = tr(f"Avoir sur la facture {original.number}, à déduire ou rembourser.",
                            f"Credit note on invoice {original.number}, to deduct or refund.",
                            original.language)
    if data.amount is not None:
        note.lines = _amount_lines(original, data.amount, data.reason)
    elif data.lines is not None:
        note.lines = _credit_lines(session, original, data)
    else:
        if already > 0:
            raise ConflictError(
                f"La facture {original.number} est déjà partiellement créditée ; créditez le "
                f"reste ({remaining} € HT) par lignes ou par montant.",
                f"Invoice {original.number} is already partly credited; credit the rest "
                f"({remaining} € excl. VAT) by lines or by amount.",
            )
        note.lines = [copy_line(ln, ln.position, ln.quantity) for ln in original.lines]
        note.adjustments = [copy_adjustment(a, a.position) for a in original.adjustments]
    apply_totals(note)
    if note.tax_basis_total > remaining:
        raise ValidationError(
            f"Avoir de {note.tax_basis_total} € HT refusé : il ne reste que {remaining} € HT à "
            f"créditer sur la facture {original.number}.",
            f"Credit note of {note.tax_basis_total} € excl. VAT refused: only {remaining} € "
            f"excl. VAT remains to credit on invoice {original.number}.",
        )
    return original, note


def _record_credit(session: Session, original: Invoice, note: Invoice, actor: str) -> None:
    record_issue(session, note, actor)
    record(session, "invoice.credited", subject_type="invoice", subject_id=original.id,
           actor=actor, customer_id=original.customer_id,
           data={"number": original.number, "credit_note": note.number,
                 "credited_amount": str(note.tax_basis_total)})


def credit_invoice(
    session: Session, data: CreditInput | Mapping[str, Any], *, actor: str = "system",
    today: date | None = None,
) -> Invoice:
    """Issue a credit note against an issued invoice; returns the numbered credit note."""
    checked = parse_input(CreditInput, data)
    original, note = prepare_credit_note(session, checked, today or date.today())
    number_invoice(session, note, actor)
    _record_credit(session, original, note, actor)
    return note


def reissue(
    session: Session,
    credit: CreditInput | Mapping[str, Any],
    replacement: InvoiceInput | Mapping[str, Any],
    seller: SellerSnapshot,
    *,
    actor: str = "system",
    today: date | None = None,
) -> tuple[Invoice, Invoice]:
    """Cancel (all or part of) an invoice and issue its corrected replacement, atomically.

    Both numbers are taken before any audit event so the lock order stays the same as plain
    issuing (counters first, then the audit chain head).
    """
    checked_credit = parse_input(CreditInput, credit)
    checked_invoice = parse_input(InvoiceInput, replacement)
    day = today or date.today()
    original, note = prepare_credit_note(session, checked_credit, day)
    invoice = prepare_invoice(session, checked_invoice, seller, day)
    if invoice.customer_id != original.customer_id:
        raise ValidationError(
            "Une réémission doit facturer le même client que la facture annulée.",
            "A re-issue must invoice the same customer as the cancelled invoice.",
        )
    number_invoice(session, note, actor)
    number_invoice(session, invoice, actor)
    _record_credit(session, original, note, actor)
    record_issue(session, invoice, actor)
    record(session, "invoice.reissued", subject_type="invoice", subject_id=original.id,
           actor=actor, customer_id=original.customer_id,
           data={"number": original.number, "credit_note": note.number,
                 "replacement": invoice.number})
    return note, invoice
