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
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.customers.normalise import search_fields
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


class AddressKind(enum.StrEnum):
    """Other addresses (seed 002 "Autres adresses"): used instead of the main one for a purpose."""

    BILLING = "billing"
    DELIVERY = "delivery"
    REMINDER = "reminder"


class VatCheckStatus(enum.StrEnum):
    """What VIES said about an intra-EU VAT number; `unverified`: it could not answer."""

    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIED = "unverified"


class ActionKind(enum.StrEnum):
    """Commercial actions on a customer (seed 002 "Actions")."""

    LETTER = "letter"
    EMAIL = "email"
    ADDRESS_CHANGE = "address_change"
    NOTE = "note"


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
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    sales_rep_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    # Exclusion flags for mailings (seed 002 "Options supplémentaires")
    no_sms: Mapped[bool] = mapped_column(default=False)
    no_mailing: Mapped[bool] = mapped_column(default=False)
    no_emailing: Mapped[bool] = mapped_column(default=False)
    do_not_share: Mapped[bool] = mapped_column(default=False)
    # Undeliverable mail (NPAI)
    undeliverable_count: Mapped[int] = mapped_column(default=0)
    undeliverable_flag: Mapped[bool] = mapped_column(default=False)
    suspension_proposed: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    # Accent- and case-free copies maintained on every flush (see `normalise.search_fields`), so
    # quick search is a plain LIKE that behaves the same on SQLite and PostgreSQL.
    search_name: Mapped[str] = mapped_column(String(250), default="", index=True)
    search_company: Mapped[str] = mapped_column(String(250), default="", index=True)
    search_city: Mapped[str] = mapped_column(String(60), default="", index=True)
    search_all: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    # Self-referential joined loading needs `join_depth`, else SQLAlchemy silently loads lazily.
    payer: Mapped[Customer | None] = relationship(
        remote_side=[id], foreign_keys=[payer_id], lazy="joined", join_depth=1
    )
    company: Mapped[Customer | None] = relationship(remote_side=[id], foreign_keys=[company_id])
    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerAddress.id"
    )
    selections: Mapped[list[CustomerSelection]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerSelection.id"
    )

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.company_name and person:
            return f"{self.company_name} ({person})"
        return self.company_name or person or self.number


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _refresh_search_columns(_mapper: Any, _connection: Any, customer: Customer) -> None:
    for column, value in search_fields(customer).items():
        setattr(customer, column, value)


class CustomerNumberCounter(Base):
    """One row (id=1) holding the last customer number handed out.

    Locked inside the creating transaction, so a rolled-back creation gives its number back
    and numbers stay gapless.
    """

    __tablename__ = "customer_number_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class CustomerAddress(Base):
    """An address used instead of the main one for billing, delivery or reminders.

    Without dates it is permanent; without a title code it applies to all titles. Postal
    fields follow the French norm (6 lines of at most 38 characters).
    """

    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AddressKind] = mapped_column(_enum(AddressKind, "address_kind"))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    title_code: Mapped[str | None] = mapped_column(String(20))  # None: all titles
    company_name: Mapped[str | None] = mapped_column(String(38))  # line 1
    recipient: Mapped[str | None] = mapped_column(String(38))  # line 2: title, name, first name
    name_extra: Mapped[str | None] = mapped_column(String(38))  # line 3
    street: Mapped[str | None] = mapped_column(String(38))  # line 4
    address_extra: Mapped[str | None] = mapped_column(String(38))  # line 5
    postcode: Mapped[str | None] = mapped_column(String(10))  # line 6 with city
    city: Mapped[str | None] = mapped_column(String(38))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    def applies(self, kind: AddressKind, on: date, title_code: str | None) -> bool:
        """Whether this address replaces the main one for `kind`, on `on`, for `title_code`."""
        in_range = (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )
        title_ok = self.title_code is None or self.title_code == title_code
        return self.kind == kind and in_range and title_ok


class SelectionCode(Base):
    """A selection code defined by the publisher (profession, sector, birth year...)."""

    __tablename__ = "selection_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    # Free entry, or a value picked from `choices`.
    free_entry: Mapped[bool] = mapped_column(default=True)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)


class CustomerSelection(Base):
    """One selection-code value on one customer."""

    __tablename__ = "customer_selections"
    __table_args__ = (UniqueConstraint("customer_id", "code_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[int] = mapped_column(ForeignKey("selection_codes.id"), index=True)
    value: Mapped[str] = mapped_column(String(100))
    value_search: Mapped[str] = mapped_column(String(100), index=True)

    customer: Mapped[Customer] = relationship(back_populates="selections")
    code: Mapped[SelectionCode] = relationship(lazy="joined")


class CustomerAction(Base):
    """A letter, e-mail, address change or note; with a reminder date it is a task until done."""

    __tablename__ = "customer_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActionKind] = mapped_column(_enum(ActionKind, "action_kind"))
    subject: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    copy_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    reminder_on: Mapped[date | None] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False, index=True)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(lazy="joined")


class CustomerVatCheck(Base):
    """One VIES check of a customer's intra-EU VAT number (history; the latest one counts).

    Kept as a history rather than columns on the customer so an invoice gate, an auditor or an
    operator can see what VIES answered on each date, and for which number (the customer's VAT
    number may change; a check only vouches for the number it checked).
    """

    __tablename__ = "customer_vat_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    vat_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[VatCheckStatus] = mapped_column(_enum(VatCheckStatus, "vat_check_status"))
    checked_at: Mapped[datetime] = mapped_column(index=True)
    request_date: Mapped[date | None]  # VIES's own date of the answer
    registered_name: Mapped[str | None] = mapped_column(Text)
    registered_address: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    from_cache: Mapped[bool] = mapped_column(default=False)
