"""Tables of customer files, their step runs and their attachments.

`customer_files.version` is SQLAlchemy's `version_id_col`: every change to a file (each decision
touches it) issues `UPDATE ... WHERE id = ? AND version = ?`, so of two validators deciding from
the same state exactly one update matches and the other gets a conflict, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, utcnow
from dossiers.files.states import DecisionKind, FileState, StepState


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                length=30, create_constraint=True)


class CustomerFile(Base):
    __tablename__ = "customer_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    circuit_name: Mapped[str] = mapped_column(String(50))
    circuit_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[FileState] = mapped_column(_enum(FileState, "file_state"), index=True)
    current_step: Mapped[str | None] = mapped_column(String(50))
    current_seq: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(50))
    parent_invoice_ref: Mapped[str | None] = mapped_column(String(50), index=True)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    steps: Mapped[list[FileStep]] = relationship(
        back_populates="file", order_by="FileStep.seq", lazy="selectin",
        cascade="all, delete-orphan",
    )
    documents: Mapped[list[FileDocument]] = relationship(
        back_populates="file", order_by="FileDocument.id", lazy="selectin",
        cascade="all, delete-orphan",
    )


class FileStep(Base):
    """One run of a circuit step in a file (a step visited twice has two rows)."""

    __tablename__ = "file_steps"
    __table_args__ = (UniqueConstraint("file_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("customer_files.id", ondelete="CASCADE"),
                                         index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    mode: Mapped[str] = mapped_column(String(10))
    state: Mapped[StepState] = mapped_column(_enum(StepState, "step_state"), index=True)
    role: Mapped[str | None] = mapped_column(String(50), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    activated_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision: Mapped[DecisionKind | None] = mapped_column(_enum(DecisionKind, "step_decision"))
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(50))
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    requested_document: Mapped[str | None] = mapped_column(String(200))
    request_due_at: Mapped[datetime | None]
    request_received_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalated_to: Mapped[str | None] = mapped_column(String(100))

    file: Mapped[CustomerFile] = relationship(back_populates="steps")


class FileDocument(Base):
    """An attachment accepted after content checks; its bytes live in the blob store."""

    __tablename__ = "file_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("customer_files.id", ondelete="CASCADE"),
                                         index=True)
    step_seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    original_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    archive_ref: Mapped[str | None] = mapped_column(String(300))
    archived_at: Mapped[datetime | None]

    file: Mapped[CustomerFile] = relationship(back_populates="documents")
