"""Archiving a produced document exactly once.

Idempotent by (document, content hash): archiving the same bytes for the same document again
returns the existing record without a second put. The record is written in state `pending`
before the put (the idempotency key is stored before the external call), so a crash between the
put and the final commit is resumed by adopting the version already in the store.
Bad input — unknown type, retention already over, same key or same document with other
content — is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dossiers.archive import store as meta
from dossiers.archive.archive import Archive
from dossiers.archive.errors import ArchiveConflict, RetentionInPast, RetentionShortening
from dossiers.archive.keys import check_key, check_metadata
from dossiers.archive.models import ArchivedDocument, ArchiveState
from dossiers.archive.store import ObjectMissing
from dossiers.audit import record
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.errors import NotFound

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def object_key(document_type: str, issue_date: date, document_number: str, extension: str) -> str:
    """`invoice/2026/F-2026-0001.pdf`: readable by a human browsing the bucket."""
    number = _UNSAFE.sub("_", document_number).lstrip("._-") or "document"
    return check_key(f"{document_type}/{issue_date.year}/{number}{extension}")


def _metadata(row: ArchivedDocument) -> dict[str, str]:
    return check_metadata({
        meta.META_DOCUMENT_ID: row.document_id,
        meta.META_CUSTOMER: "" if row.customer_id is None else str(row.customer_id),
        meta.META_DOCUMENT_TYPE: row.document_type,
        meta.META_DOCUMENT_NUMBER: row.document_number,
        meta.META_SHA256: row.sha256,
        meta.META_RETENTION_CLASS: row.retention_class,
        meta.META_ISSUE_DATE: row.issue_date.isoformat(),
    })


def _conflict(fr: str, en: str) -> ArchiveConflict:
    return ArchiveConflict(fr + " Rien n'a été écrasé.", en + " Nothing was overwritten.")


def archive_document(
    archive: Archive,
    *,
    document_type: str,
    document_id: str | int,
    document_number: str,
    issue_date: date,
    content: bytes,
    customer_id: int | None = None,
    content_type: str = "application/pdf",
    extension: str = ".pdf",
    retain_until: datetime | None = None,
    actor: str = "system",
) -> ArchivedDocument:
    """Archive `content` once; return its record (the existing one if already archived)."""
    document_id = str(document_id)
    digest = hashlib.sha256(content).hexdigest()
    now = archive.clock()
    retention = archive.policy.retention_for(document_type, issue_date, now)
    until = retention.retain_until
    if retain_until is not None:
        if retain_until <= now:
            raise RetentionInPast(retain_until)
        if retain_until < until:
            raise RetentionShortening(document_number, until, retain_until)
        until = retain_until
    key = object_key(document_type, issue_date, document_number, extension)

    with archive.db() as session:
        existing = session.scalars(select(ArchivedDocument).where(
            ArchivedDocument.document_type == document_type,
            ArchivedDocument.document_id == document_id,
        )).one_or_none()
    if existing is not None:
        if existing.sha256 != digest:
            raise _conflict(
                f"Le document {document_type} {document_id} est déjà archivé avec un autre "
                f"contenu (SHA-256 {existing.sha256}).",
                f"Document {document_type} {document_id} is already archived with other "
                f"content (SHA-256 {existing.sha256}).",
            )
        if existing.state is not ArchiveState.PENDING:
            return existing
        # A previous attempt stopped after writing its pending row: finish it.
        return _complete(archive, existing.id, content, actor)
    _check_key_and_customer(archive, key, customer_id)

    row = ArchivedDocument(
        document_type=document_type, document_id=document_id, document_number=document_number,
        customer_id=customer_id, issue_date=issue_date, key=key, sha256=digest,
        size=len(content), content_type=content_type,
        retention_class=retention.retention_class, retain_until=until,
        state=ArchiveState.PENDING,
    )
    metadata = _metadata(row)  # refuses non-ASCII values before anything is written
    _refuse_foreign_object(archive, key, metadata)
    try:
        with transaction(archive.db) as session:
            session.add(row)
            session.flush()
            record(session, "archive.deposit_started", subject_type="archived_document",
                   subject_id=row.id, actor=actor, customer_id=customer_id,
                   data={"key": key, "sha256": digest, "document_type": document_type,
                         "document_id": document_id, "retain_until": until.isoformat()})
    except IntegrityError as exc:  # a concurrent deposit of the same document or key won
        raise _conflict(
            f"Le document {document_id} ou la clé {key} vient d'être archivé par ailleurs.",
            f"Document {document_id} or key {key} was just archived concurrently.",
        ) from exc
    return _complete(archive, row.id, content, actor)


def _check_key_and_customer(archive: Archive, key: str, customer_id: int | None) -> None:
    with archive.db() as session:
        if customer_id is not None and session.get(Customer, customer_id) is None:
            raise NotFound(f"Client introuvable : {customer_id}.",
                           f"Customer not found: {customer_id}.")
        taken = session.scalars(
            select(ArchivedDocument).where(ArchivedDocument.key == key)
        ).one_or_none()
    if taken is not None:
        raise _conflict(
            f"La clé {key} est déjà utilisée par le document {taken.document_id}.",
            f"Key {key} is already used by document {taken.document_id}.",
        )


def _refuse_foreign_object(archive: Archive, key: str, metadata: dict[str, str]) -> None:
    """An object already under this key that is not this very document: never write over it."""
    try:
        info = archive.store.head(key)
    except ObjectMissing:
        return
    same = (info.metadata.get(meta.META_SHA256) == metadata[meta.META_SHA256]
            and info.metadata.get(meta.META_DOCUMENT_ID) == metadata[meta.META_DOCUMENT_ID])
    if not same:
        raise _conflict(
            f"Un autre objet existe déjà sous la clé {key} dans l'archive.",
            f"Another object already exists under key {key} in the archive.",
        )


def _complete(archive: Archive, row_id: int, content: bytes, actor: str) -> ArchivedDocument:
    """Put (or adopt the version a previous attempt already put) and mark the row archived."""
    with archive.db() as session:
        row = session.get_one(ArchivedDocument, row_id)
        metadata = _metadata(row)
        key, until = row.key, row.retain_until
    version_id: str | None = None
    try:
        info = archive.store.head(key)
        if info.metadata.get(meta.META_SHA256) == metadata[meta.META_SHA256]:
            version_id = info.version_id
    except ObjectMissing:
        pass
    if version_id is None:
        _refuse_foreign_object(archive, key, metadata)
        version_id = archive.store.put(key, content, metadata, until)
    with transaction(archive.db) as session:
        row = session.get_one(ArchivedDocument, row_id)
        row.version_id = version_id
        row.state = ArchiveState.ARCHIVED
        row.archived_at = archive.clock()
        record(session, "archive.deposited", subject_type="archived_document",
               subject_id=row.id, actor=actor, customer_id=row.customer_id,
               data={"key": key, "version_id": version_id, "sha256": row.sha256,
                     "size": row.size, "retention_class": row.retention_class,
                     "retain_until": until.isoformat()})
    return row
