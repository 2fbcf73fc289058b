"""Signing-session tables: the session (contract bytes as they evolve) and its signers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, utcnow


class SessionStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"


class SignerState(StrEnum):
    INVITED = "invited"
    VIEWED = "viewed"
    CODE_SENT = "code_sent"
    SIGNED = "signed"
    DECLINED = "declined"
    EXPIRED = "expired"


class Ordering(StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class SigningSession(Base):
    __tablename__ = "signing_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus), default=SessionStatus.OPEN)
    ordering: Mapped[Ordering] = mapped_column(_enum(Ordering), default=Ordering.SEQUENTIAL)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_ref: Mapped[str | None] = mapped_column(String(100), index=True)  # e.g. a file step
    original_sha256: Mapped[str] = mapped_column(String(64))
    current_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)  # prepared, then each signed revision
    evidence_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed, at completion
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    signers: Mapped[list[SigningSigner]] = relationship(
        back_populates="session", order_by="SigningSigner.position", lazy="selectin"
    )


class SigningSigner(Base):
    __tablename__ = "signing_signers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("signing_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone_e164: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(50))
    field_name: Mapped[str] = mapped_column(String(60))
    box: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[SignerState] = mapped_column(_enum(SignerState), default=SignerState.INVITED)
    invited_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    certificate_serial: Mapped[str | None] = mapped_column(String(64))
    session: Mapped[SigningSession] = relationship(back_populates="signers")

    @property
    def otp_ref(self) -> str:
        return f"signing_signer:{self.id}"
