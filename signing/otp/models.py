"""OTP tables: one challenge row per signer (its failure count survives new sends) and a send log
(for the rate limit and SMS idempotency keys)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dossiers.db import Base, utcnow


class OtpChallenge(Base):
    __tablename__ = "signing_otp_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signer_ref: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OtpSend(Base):
    __tablename__ = "signing_otp_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signer_ref: Mapped[str] = mapped_column(String(100), index=True)
    sent_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_sid: Mapped[str | None] = mapped_column(String(64))
