"""Customer tables.

Types (seed 002): `normal` pays and receives; `third_party_payer` pays for several beneficiaries
and is invoiced; `beneficiary` ("payé par") is delivered but never invoiced and must name its
third-party payer; `prospect` has no subscription and no invoice. States: `active`, `suspended`
(deliveries stop), `struck_off` (deliveries, reminders, new subscriptions and invoices stop;
payments on open invoices are still accepted).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, utcnow


class CustomerType(enum.StrEnum):
    NORMAL = "normal"
    THIRD_PARTY_PAYER = "third_party_payer"
    BENEFICIARY = "beneficiary"
    PROSPECT = "prospect"


class CustomerState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    STRUCK_OFF = "struck_off"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: portable and readable in SQL.
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                length=30, create_constraint=True)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[CustomerType] = mapped_column(_enum(CustomerType, "customer_type"))
    state: Mapped[CustomerState] = mapped_column(
        _enum(CustomerState, "customer_state"), default=CustomerState.ACTIVE
    )
    is_company: Mapped[bool] = mapped_column(default=False)
    company_name: Mapped[str | None] = mapped_column(String(200), index=True)
    # A contact attached to a company record (seed 002 "option Société").
    company_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    title: Mapped[str | None] = mapped_column(String(20))
    last_name: Mapped[str | None] = mapped_column(String(100), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))  # E.164
    phone: Mapped[str | None] = mapped_column(String(20))
    # Main postal address, in the norm's order (seed 002).
    address_name_extra: Mapped[str | None] = mapped_column(String(38))
    address_street: Mapped[str | None] = mapped_column(String(38))
    address_extra: Mapped[str | None] = mapped_column(String(38))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    city: Mapped[str | None] = mapped_column(String(60), index=True)
    country: Mapped[str] = mapped_column(String(2), default="FR")
    # Legal identifiers
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    # Accounting (seed 002 "Comptabilité")
    invoice_language: Mapped[str] = mapped_column(String(2), default="fr")
    vat_regime: Mapped[str] = mapped_column(String(30), default="france")
    payment_method: Mapped[str | None] = mapped_column(String(30))
    payment_term_days: Mapped[int] = mapped_column(default=0)
    discount_subscriptions_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    discount_items_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    ledger_account: Mapped[str | None] = mapped_column(String(20))
    auxiliary_account: Mapped[str | None] = mapped_column(String(30))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    mandate_signed_on: Mapped[date | None]
    # Public buyers (Chorus Pro)
    is_public_buyer: Mapped[bool] = mapped_column(default=False)
    service_code: Mapped[str | None] = mapped_column(String(100))
    # Relations
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    sales_rep_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    # Undeliverable mail (NPAI)
    undeliverable_count: Mapped[int] = mapped_column(default=0)
    undeliverable_flag: Mapped[bool] = mapped_column(default=False)
    suspension_proposed: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    payer: Mapped[Customer | None] = relationship(
        remote_side=[id], foreign_keys=[payer_id], lazy="joined"
    )

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.company_name and person:
            return f"{self.company_name} ({person})"
        return self.company_name or person or self.number
