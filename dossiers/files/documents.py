"""Attaching a document to a file: content checks, the blob store, the row and the audit event.

The bytes are written to the content-addressed store before the row is inserted; if the
transaction then rolls back, the blob stays behind unreferenced, which is harmless (same bytes,
same name) and lets a retried upload succeed without rewriting it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import audit
from dossiers.blobs import BlobStore
from dossiers.circuits.schema import StepKind
from dossiers.db import utcnow
from dossiers.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from dossiers.files.attachments import DEFAULT_MAX_BYTES, check_content, refuse_duplicate
from dossiers.files.models import FileDocument
from dossiers.files.service import get_file, receive_document
from dossiers.files.states import Actor, FileState

DOCUMENT_KINDS: tuple[str, ...] = get_args(StepKind)


def attach_document(
    session: Session,
    store: BlobStore,
    file_id: int,
    *,
    data: bytes,
    original_name: str,
    kind: str,
    uploaded_by: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    at: datetime | None = None,
) -> FileDocument:
    """Check, store and record one attachment; it answers a pending request to the customer.

    `uploaded_by` is a staff login or a customer label from the portal (`customer:C000123`).
    """
    at = at or utcnow()
    if kind not in DOCUMENT_KINDS:
        choices = ", ".join(DOCUMENT_KINDS)
        raise ValidationError(
            f"Nature de document « {kind} » inconnue ; choisir parmi : {choices}.",
            f"Unknown document kind '{kind}'; choose among: {choices}.",
        )
    actor = Actor(login=uploaded_by)
    file = get_file(session, file_id)
    if file.state not in (FileState.IN_PROGRESS, FileState.WAITING_CUSTOMER):
        raise IllegalTransition(
            f"Le dossier {file.id} est clos ({file.state.value}) : il n'accepte plus de pièces.",
            f"File {file.id} is closed ({file.state.value}): it accepts no more documents.",
        )
    name = PurePath(original_name).name[:255] or "document"
    checked = check_content(data, max_bytes=max_bytes, name=name)
    refuse_duplicate(file.documents, checked.sha256, name=name, kind=kind,
                     step_seq=file.current_seq)
    store.put(data)
    document = FileDocument(
        step_seq=file.current_seq, kind=kind, original_name=name, media_type=checked.media_type,
        size=checked.size, sha256=checked.sha256, uploaded_by=actor.login, uploaded_at=at,
    )
    file.documents.append(document)
    session.flush()
    audit.record(
        session, "file.document_attached", subject_type="customer_file", subject_id=file.id,
        actor=actor.login, customer_id=file.customer_id, at=at,
        data={"document_id": document.id, "kind": kind, "name": name, "sha256": checked.sha256,
              "media_type": checked.media_type, "size": checked.size},
    )
    if file.state == FileState.WAITING_CUSTOMER:
        receive_document(session, file.id, document=name, actor=actor, at=at)
    return document


def mark_archived(session: Session, document_id: int, *, archive_ref: str,
                  actor: str = "system", at: datetime | None = None) -> FileDocument:
    """Record that a document now lives in the legal archive under `archive_ref`.

    The blob is not deleted here: that happens in `release_archived_blobs`, after this
    transaction committed, so a rollback never leaves a row pointing at vanished bytes.
    """
    at = at or utcnow()
    document = session.get(FileDocument, document_id)
    if document is None:
        raise NotFound(f"Pièce {document_id} introuvable.", f"Document {document_id} not found.")
    if document.archive_ref is not None:
        raise ConflictError(
            f"La pièce {document_id} est déjà archivée ({document.archive_ref}).",
            f"Document {document_id} is already archived ({document.archive_ref}).",
        )
    document.archive_ref = archive_ref
    document.archived_at = at
    session.flush()
    audit.record(
        session, "file.document_archived", subject_type="customer_file",
        subject_id=document.file_id, actor=actor, customer_id=document.file.customer_id, at=at,
        data={"document_id": document.id, "sha256": document.sha256, "archive_ref": archive_ref},
    )
    return document


def release_archived_blobs(session: Session, store: BlobStore) -> int:
    """Delete blobs whose every document is archived; returns how many were removed."""
    pending = select(FileDocument.sha256).where(FileDocument.archive_ref.is_(None))
    archived = (select(FileDocument.sha256).where(FileDocument.archive_ref.is_not(None),
                                                   FileDocument.sha256.not_in(pending))
                .distinct())
    released = 0
    for digest in session.scalars(archived):
        if store.exists(digest):
            store.discard(digest)
            released += 1
    return released
