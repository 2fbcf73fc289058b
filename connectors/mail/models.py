"""The `sent_mails` ledger: which idempotency keys were already delivered, under which id.

A row is written *before* the delivery attempt (status `pending`) and flipped to `sent` in a
second transaction once the server accepted the mail. A `pending` row therefore means "tried,
not confirmed": the next attempt delivers again with the same Message-ID.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dossiers.db import Base, utcnow

MAIL_STATUSES = ("pending", "sent")


class SentMail(Base):
    __tablename__ = "sent_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        Enum(*MAIL_STATUSES, name="sent_mail_status", native_enum=False), default="pending"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
