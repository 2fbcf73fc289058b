"""Reading invoices: find one by number, list with filters, and what remains to credit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.customers.models import Customer
from dossiers.errors import NotFound
from dossiers.invoicing.models import Invoice, InvoiceKind, InvoiceState


def get_invoice(session: Session, number: str) -> Invoice:
    invoice = session.scalars(select(Invoice).where(Invoice.number == number)).one_or_none()
    if invoice is None:
        raise NotFound(f"Facture {number} introuvable.", f"Invoice {number} not found.")
    return invoice


def list_invoices(
    session: Session,
    *,
    customer: str | None = None,
    kind: InvoiceKind | None = None,
    state: InvoiceState | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
) -> list[Invoice]:
    """Issued documents, newest first (drafts have no number and are not listed)."""
    query = select(Invoice).where(Invoice.number.is_not(None))
    if customer:
        query = query.join(Customer, Customer.id == Invoice.customer_id).where(
            Customer.number == customer)
    if kind:
        query = query.where(Invoice.kind == kind)
    if state:
        query = query.where(Invoice.state == state)
    if since:
        query = query.where(Invoice.issue_date >= since)
    if until:
        query = query.where(Invoice.issue_date <= until)
    return list(session.scalars(query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                                .limit(limit)))


@dataclass(frozen=True)
class CreditStatus:
    credit_notes: tuple[str, ...]
    credited: Decimal  # excluding VAT
    remaining: Decimal  # excluding VAT


def credit_status(session: Session, invoice: Invoice) -> CreditStatus:
    notes = list(session.scalars(
        select(Invoice).where(Invoice.referenced_invoice_id == invoice.id,
                              Invoice.number.is_not(None)).order_by(Invoice.id)))
    credited = sum((n.tax_basis_total for n in notes), Decimal("0.00"))
    return CreditStatus(tuple(n.number or "" for n in notes), credited,
                        invoice.tax_basis_total - credited)
