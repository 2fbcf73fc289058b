"""Invoice tables: invoices and credit notes, lines, document allowances/charges, and the
numbering series and counters.

An issued invoice is a legal document: its buyer and seller are stored as snapshots (JSON, see
`parties.py`) so a later change to the customer record or the company profile never alters it,
and `immutability.py` refuses any ORM change to its financial content. Only lifecycle fields
(`state`, timestamps set by the Chorus Pro follow-up) may change after issue.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, utcnow

AMOUNT = Numeric(14, 2)
QUANTITY = Numeric(16, 4)
RATE = Numeric(5, 2)


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"  # TypeCode 380
    CREDIT_NOTE = "credit_note"  # TypeCode 381

    @property
    def type_code(self) -> str:
        return "380" if self is InvoiceKind.INVOICE else "381"


class InvoiceState(enum.StrEnum):
    """Draft until issued; the later states are set by the delivery / Chorus Pro follow-up."""

    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    DEPOSITED = "deposited"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"


class LineKind(enum.StrEnum):
    """Decides the customer's default discount and the BT-23 business process (goods/services)."""

    SUBSCRIPTION = "subscription"
    ITEM = "item"
    SERVICE = "service"


def _enum(cls: type[enum.Enum], name: str, *, constraint: bool = True) -> Enum:
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                length=30, create_constraint=constraint)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind, "invoice_kind"))
    type_code: Mapped[str] = mapped_column(String(3))  # BT-3: 380 / 381
    series: Mapped[str] = mapped_column(String(30))
    number: Mapped[str | None] = mapped_column(String(35), unique=True)  # BT-1, set at issue
    # No CHECK constraint: the delivery and Chorus Pro follow-ups add lifecycle states.
    state: Mapped[InvoiceState] = mapped_column(
        _enum(InvoiceState, "invoice_state", constraint=False), default=InvoiceState.DRAFT,
        index=True,
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200), index=True)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)  # snapshot, see parties.py
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)  # snapshot, see parties.py
    language: Mapped[str] = mapped_column(String(2), default="fr")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")  # BT-5
    issue_date: Mapped[date]  # BT-2
    due_date: Mapped[date | None]  # BT-9
    delivery_date: Mapped[date | None]  # BT-72
    period_start: Mapped[date | None]  # BT-73
    period_end: Mapped[date | None]  # BT-74
    business_process: Mapped[str] = mapped_column(String(2), default="S1")  # BT-23 (BR-FR-08)
    payment_terms: Mapped[str | None] = mapped_column(Text)  # BT-20
    payment_means_code: Mapped[str | None] = mapped_column(String(3))  # BT-81
    payee_iban: Mapped[str | None] = mapped_column(String(34))  # BT-84
    payee_bic: Mapped[str | None] = mapped_column(String(11))  # BT-86
    mandate_reference: Mapped[str | None] = mapped_column(String(35))  # BT-89
    creditor_id: Mapped[str | None] = mapped_column(String(35))  # BT-90
    debtor_iban: Mapped[str | None] = mapped_column(String(34))  # BT-91
    card_last_digits: Mapped[str | None] = mapped_column(String(10))  # BT-87
    po_number: Mapped[str | None] = mapped_column(String(50))  # BT-13 (engagement juridique)
    service_code: Mapped[str | None] = mapped_column(String(100))  # BT-10 (code service)
    referenced_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    referenced_number: Mapped[str | None] = mapped_column(String(35))  # BT-25
    referenced_date: Mapped[date | None]  # BT-26
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # BG-1 {code, text}
    # Totals (EN 16931 BG-22), computed by totals.py at issue.
    line_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-106
    allowance_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-107
    charge_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-108
    tax_basis_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-109
    tax_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-110
    grand_total: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-112
    prepaid_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))  # BT-113
    rounding_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))  # BT-114
    due_payable_amount: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-115
    # [{category, rate, taxable_amount, tax_amount, exemption_code, exemption_reason}] as strings
    vat_breakdown: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    # A draft keeps its checked input so issuing it later recomputes dates and re-checks the
    # customer (who may have been struck off in between).
    draft_input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(200))
    state_changed_at: Mapped[datetime | None]

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan",
        lazy="selectin",
    )
    adjustments: Mapped[list[InvoiceAdjustment]] = relationship(
        back_populates="invoice", order_by="InvoiceAdjustment.position",
        cascade="all, delete-orphan", lazy="selectin",
    )

    @property
    def is_issued(self) -> bool:
        return self.state is not InvoiceState.DRAFT


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]  # BT-126, 1-based
    kind: Mapped[LineKind] = mapped_column(_enum(LineKind, "invoice_line_kind"))
    description: Mapped[str] = mapped_column(String(500))  # BT-153
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)  # BT-129
    unit_code: Mapped[str] = mapped_column(String(3))  # BT-130, UN/ECE rec 20
    unit_price: Mapped[Decimal] = mapped_column(QUANTITY)  # BT-146
    discount_pct: Mapped[Decimal] = mapped_column(RATE, default=Decimal(0))  # BT-138
    discount_amount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))  # BT-136
    net_amount: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-131
    vat_category: Mapped[str] = mapped_column(String(2))  # BT-151
    vat_rate: Mapped[Decimal] = mapped_column(RATE)  # BT-152
    exemption_code: Mapped[str | None] = mapped_column(String(30))
    exemption_reason: Mapped[str | None] = mapped_column(String(300))
    # Third-party-payer invoices name the beneficiary each line is for (seed 002).
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    beneficiary_name: Mapped[str | None] = mapped_column(String(200))
    # On a credit note: the invoice line it cancels (drives the "what remains" check).
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceAdjustment(Base):
    """Document-level allowance (BG-20) or charge (BG-21)."""

    __tablename__ = "invoice_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]
    is_charge: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)  # BT-92 / BT-99
    reason: Mapped[str] = mapped_column(String(200))  # BT-97 / BT-104
    reason_code: Mapped[str | None] = mapped_column(String(3))  # BT-98 / BT-105
    vat_category: Mapped[str] = mapped_column(String(2))  # BT-95 / BT-102
    vat_rate: Mapped[Decimal] = mapped_column(RATE)  # BT-96 / BT-103

    invoice: Mapped[Invoice] = relationship(back_populates="adjustments")


class InvoiceSeries(Base):
    """A numbering series: `prefix` may contain `{year}`; `digits` pads the counter."""

    __tablename__ = "invoice_series"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(20))
    yearly_reset: Mapped[bool] = mapped_column(Boolean, default=True)
    digits: Mapped[int] = mapped_column(Integer, default=5)


class InvoiceCounter(Base):
    """Last number given in a series for a year (year 0 when the series never resets).

    The row is locked for the whole issuing transaction, so numbers are handed out one at a
    time and a rollback gives the number back.
    """

    __tablename__ = "invoice_counters"
    __table_args__ = (UniqueConstraint("series", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(ForeignKey("invoice_series.code"))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    last_issue_date: Mapped[date | None]


