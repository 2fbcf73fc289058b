"""Finding archived documents and reading them back with their hash checked.

A document is only ever returned after its bytes were hashed again and matched both the
database and the object's own metadata; a mismatch is written to the audit trail (committed on
its own, so the evidence survives) and raised as `IntegrityFailure`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.archive.archive import Archive
from dossiers.archive.errors import DocumentIntegrityFailure
from dossiers.archive.models import ArchivedDocument, ArchiveState
from dossiers.archive.store import META_SHA256, CorruptObject, ObjectMissing
from dossiers.audit import record
from dossiers.db import transaction
from dossiers.errors import NotFound


def find(
    session: Session,
    *,
    customer_id: int | None = None,
    document_type: str | None = None,
    document_number: str | None = None,
    document_id: str | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    include_deleted: bool = False,
) -> list[ArchivedDocument]:
    query = select(ArchivedDocument)
    if customer_id is not None:
        query = query.where(ArchivedDocument.customer_id == customer_id)
    if document_type:
        query = query.where(ArchivedDocument.document_type == document_type)
    if document_number:
        query = query.where(ArchivedDocument.document_number == document_number)
    if document_id is not None:
        query = query.where(ArchivedDocument.document_id == str(document_id))
    if issued_from:
        query = query.where(ArchivedDocument.issue_date >= issued_from)
    if issued_to:
        query = query.where(ArchivedDocument.issue_date <= issued_to)
    states = [ArchiveState.ARCHIVED, ArchiveState.DELETING]
    if include_deleted:
        states.append(ArchiveState.DELETED)
    query = query.where(ArchivedDocument.state.in_(states))
    return list(session.scalars(query.order_by(ArchivedDocument.issue_date, ArchivedDocument.id)))


def load_archived(session: Session, record_id: int) -> ArchivedDocument:
    row = session.get(ArchivedDocument, record_id)
    if row is None or row.state is not ArchiveState.ARCHIVED:
        raise NotFound(
            f"Aucun document archivé n° {record_id}.",
            f"No archived document #{record_id}.",
        )
    return row


@dataclass(frozen=True)
class Mismatch:
    kind: str  # "content" | "metadata" | "missing"
    detail: str
    actual: str = ""  # what was found instead of the expected SHA-256


def check_object(archive: Archive, row: ArchivedDocument) -> tuple[bytes | None, Mismatch | None]:
    """Read the version back and compare its SHA-256 with the database and its metadata."""
    try:
        stored = archive.store.get(row.key, row.version_id)
    except ObjectMissing:
        return None, Mismatch("missing", f"{row.key} version {row.version_id} is missing",
                              "missing")
    except CorruptObject as exc:
        return None, Mismatch("content", exc.detail, "unreadable (store checksum mismatch)")
    actual = hashlib.sha256(stored.body).hexdigest()
    if actual != row.sha256:
        return stored.body, Mismatch("content", f"expected {row.sha256}, read {actual}", actual)
    if stored.info.metadata.get(META_SHA256) != row.sha256:
        claimed = stored.info.metadata.get(META_SHA256) or "none"
        return stored.body, Mismatch("metadata", f"object metadata says {claimed}", claimed)
    return stored.body, None


def record_failure(archive: Archive, row: ArchivedDocument, problem: Mismatch, actor: str) -> None:
    with transaction(archive.db) as session:
        record(session, "archive.verification_failed", subject_type="archived_document",
               subject_id=row.id, actor=actor, customer_id=row.customer_id,
               data={"key": row.key, "version_id": row.version_id, "kind": problem.kind,
                     "detail": problem.detail})


def get_document(archive: Archive, record_id: int, actor: str = "system") -> tuple[
    ArchivedDocument, bytes
]:
    """Return the record and its bytes, after checking the hash; log the retrieval."""
    with archive.db() as session:
        row = load_archived(session, record_id)
    body, problem = check_object(archive, row)
    if problem is not None or body is None:
        assert problem is not None
        record_failure(archive, row, problem, actor)
        raise DocumentIntegrityFailure(row.key, row.sha256, problem.actual)
    with transaction(archive.db) as session:
        record(session, "archive.retrieved", subject_type="archived_document",
               subject_id=row.id, actor=actor, customer_id=row.customer_id,
               data={"key": row.key, "version_id": row.version_id, "sha256": row.sha256})
    return row, body
