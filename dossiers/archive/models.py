"""Archive tables: one row per archived document, one per legal hold, one per exported audit-log
segment.

`archived_documents` is the ledger Liasse trusts to find, verify and expire objects: the key,
version id and SHA-256 are stored *before* the put (state `pending`) so a crash between the
database and the store is resumed without a second put (idempotency key stored before the call).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dossiers.db import Base, utcnow


class ArchiveState(enum.StrEnum):
    PENDING = "pending"  # row written, put not yet confirmed
    ARCHIVED = "archived"
    DELETING = "deleting"  # retention reached, delete call in progress
    DELETED = "deleted"


class ArchivedDocument(Base):
    __tablename__ = "archived_documents"
    __table_args__ = (
        UniqueConstraint("document_type", "document_id"),
        UniqueConstraint("key"),
        Index("ix_archived_documents_verify_order", "state", "last_verified_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(50), index=True)
    document_id: Mapped[str] = mapped_column(String(100))
    document_number: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    key: Mapped[str] = mapped_column(String(500))
    version_id: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    retention_class: Mapped[str] = mapped_column(String(50))
    retain_until: Mapped[datetime]
    legal_hold: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ArchiveState] = mapped_column(
        Enum(ArchiveState, name="archive_state", native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e], create_constraint=True),
        default=ArchiveState.PENDING,
    )
    archived_at: Mapped[datetime | None]
    last_verified_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """One legal hold on one archived document, and who placed it.

    A document is held (`ArchivedDocument.legal_hold`, and the store's own hold) while at least
    one of its holds is active (`released_at` empty). A hold placed by a dispute names its file
    (`dispute_file_id`): only that dispute's closing lifts it, a manual release is refused while
    the dispute is open (`dossiers.archive.holds`). A manual hold has no dispute file.
    """

    __tablename__ = "archive_legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    archived_document_id: Mapped[int] = mapped_column(
        ForeignKey("archived_documents.id"), index=True)
    dispute_file_id: Mapped[int | None] = mapped_column(ForeignKey("customer_files.id"),
                                                        index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))
    release_reason: Mapped[str | None] = mapped_column(Text)


class AuditLogSegment(Base):
    """One exported slice of the audit trail, archived as a document of type `audit_log`.

    Each segment's header carries the SHA-256 of the previous segment file, so the archived
    segments form a chain of their own that does not rest on the database.
    """

    __tablename__ = "audit_log_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    previous_sha256: Mapped[str] = mapped_column(String(64))
    archived_document_id: Mapped[int | None] = mapped_column(ForeignKey("archived_documents.id"))
    exported_at: Mapped[datetime] = mapped_column(default=utcnow)
