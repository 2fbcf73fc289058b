"""Legal hold and retention extension: the two ways a retention only ever grows.

The dispute flow calls `place_hold` when an invoice is disputed and `release_hold` when the
dispute is closed. The backend hold is set first and the database second: if the second step
fails, the object is protected more than the database says, never less. Every id is checked
before the first call, so a bad id changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dossiers.archive.archive import Archive
from dossiers.archive.models import ArchivedDocument
from dossiers.archive.retrieval import load_archived
from dossiers.audit import record
from dossiers.db import transaction
from dossiers.errors import ValidationError


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError("Un motif est obligatoire.", "A reason is required.")
    return reason.strip()


def _set_hold(archive: Archive, record_ids: Sequence[int], on: bool, reason: str,
              actor: str) -> list[ArchivedDocument]:
    reason = _require_reason(reason)
    with archive.db() as session:
        rows = [load_archived(session, record_id) for record_id in record_ids]
    changed: list[ArchivedDocument] = []
    for row in rows:
        if row.legal_hold == on:
            continue
        assert row.version_id is not None
        archive.store.set_legal_hold(row.key, row.version_id, on)
        with transaction(archive.db) as session:
            current = session.get_one(ArchivedDocument, row.id)
            current.legal_hold = on
            record(session,
                   "archive.legal_hold_placed" if on else "archive.legal_hold_released",
                   subject_type="archived_document", subject_id=row.id, actor=actor,
                   customer_id=row.customer_id,
                   data={"key": row.key, "version_id": row.version_id, "reason": reason})
        changed.append(current)
    return changed


def place_hold(archive: Archive, record_ids: Sequence[int], reason: str,
               actor: str = "system") -> list[ArchivedDocument]:
    """Put documents on legal hold: they cannot be deleted, even after their retention ends."""
    return _set_hold(archive, record_ids, True, reason, actor)


def release_hold(archive: Archive, record_ids: Sequence[int], reason: str,
                 actor: str = "system") -> list[ArchivedDocument]:
    return _set_hold(archive, record_ids, False, reason, actor)


def extend_retention(archive: Archive, record_id: int, retain_until: datetime, reason: str,
                     actor: str = "system") -> ArchivedDocument:
    """Lengthen one document's retention (the guard refuses anything shorter)."""
    reason = _require_reason(reason)
    with archive.db() as session:
        row = load_archived(session, record_id)
    assert row.version_id is not None
    archive.store.extend_retention(row.key, row.version_id, retain_until)
    with transaction(archive.db) as session:
        current = session.get_one(ArchivedDocument, record_id)
        previous = current.retain_until
        current.retain_until = retain_until
        record(session, "archive.retention_extended", subject_type="archived_document",
               subject_id=record_id, actor=actor, customer_id=current.customer_id,
               data={"key": current.key, "from": previous.isoformat(),
                     "to": retain_until.isoformat(), "reason": reason})
    return current
