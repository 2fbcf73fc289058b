"""The `chorus_deposits` table: one row per invoice number sent (or to send) to Chorus Pro.

The row is written *before* the deposit call (state `pending`, with the file name and the
SHA-256 of the content), so a crash or an ambiguous failure leaves a trace that forces a look-up
on Chorus Pro before any second deposit. `invoice_number` is unique: two workers can never both
claim the same invoice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dossiers.chorus_deposits.lifecycle import DepositState, InvoiceLifecycle
from dossiers.db import Base, utcnow


class ChorusDeposit(Base):
    __tablename__ = "chorus_deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[DepositState] = mapped_column(
        Enum(
            DepositState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    flow_number: Mapped[str | None] = mapped_column(String(40), index=True)  # numeroFluxDepot
    deposit_date: Mapped[str | None] = mapped_column(String(10))
    chorus_invoice_id: Mapped[int | None] = mapped_column(BigInteger)  # identifiantFactureCPP
    flow_state: Mapped[str | None] = mapped_column(String(60))
    invoice_status: Mapped[str | None] = mapped_column(String(60))
    lifecycle: Mapped[InvoiceLifecycle | None] = mapped_column(
        Enum(
            InvoiceLifecycle,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    status_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idle_polls: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
