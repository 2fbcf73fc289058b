"""Legal hold and retention extension: the two ways a retention only ever grows.

Each hold is a row (`LegalHold`) naming who placed it: a person (`liasse archive hold`, no
dispute file) or a dispute (`dispute_file_id`: the dispute circuit's `legal_hold` step calls
`place_hold(..., dispute_file_id=file)` and its closing `release_hold(..., dispute_file_id=file)`).
A document stays held, in the database and in the store, while any of its holds is active, so a
dispute's closing lifts only its own holds. A manual release (no dispute file) lifts the manual
holds and those left by closed disputes, and is refused, naming the file, while an open dispute
holds the document: only that dispute's closing may lift it.

Placing: the backend hold is set first and the database second, so if the second step fails
the object is protected more than the database says, never less. Releasing: the database first
and the backend last, for the same reason. Every id is checked before the first call, so a bad
id, or a refused release, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.archive.archive import Archive
from dossiers.archive.errors import HeldByDispute
from dossiers.archive.models import ArchivedDocument, LegalHold
from dossiers.archive.retrieval import load_archived
from dossiers.audit import record
from dossiers.db import for_update, transaction
from dossiers.errors import NotFound, ValidationError
from dossiers.files.models import CustomerFile
from dossiers.files.states import OPEN_FILE_STATES


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError("Un motif est obligatoire.", "A reason is required.")
    return reason.strip()


def active_holds(session: Session, record_id: int) -> list[LegalHold]:
    """The holds of one document not yet released, oldest first."""
    return list(session.scalars(
        select(LegalHold).where(LegalHold.archived_document_id == record_id,
                                LegalHold.released_at.is_(None)).order_by(LegalHold.id)))


def _dispute_is_open(session: Session, file_id: int) -> bool:
    file = session.get(CustomerFile, file_id)
    return file is not None and file.state in OPEN_FILE_STATES


def _locked_document(session: Session, record_id: int) -> ArchivedDocument:
    """The document row, locked for the transaction (holds of one document are serialised)."""
    query = select(ArchivedDocument).where(ArchivedDocument.id == record_id)
    if for_update(session):
        query = query.with_for_update()
    return session.scalars(query).one()


def place_hold(archive: Archive, record_ids: Sequence[int], reason: str,
               actor: str = "system", *, dispute_file_id: int | None = None,
               ) -> list[ArchivedDocument]:
    """Put documents on legal hold: they cannot be deleted, even after their retention ends.

    `dispute_file_id` names the dispute placing the hold (then only its closing lifts it);
    without it the hold is manual. A document already held by the same owner is skipped.
    """
    reason = _require_reason(reason)
    with archive.db() as session:
        rows = [load_archived(session, record_id) for record_id in record_ids]
        if dispute_file_id is not None and session.get(CustomerFile, dispute_file_id) is None:
            raise NotFound(f"Dossier {dispute_file_id} introuvable.",
                           f"File {dispute_file_id} not found.")
        owned = {row.id for row in rows
                 if any(h.dispute_file_id == dispute_file_id
                        for h in active_holds(session, row.id))}
    changed: list[ArchivedDocument] = []
    for row in rows:
        if row.id in owned:
            continue
        assert row.version_id is not None
        archive.store.set_legal_hold(row.key, row.version_id, True)
        with transaction(archive.db) as session:
            current = _locked_document(session, row.id)
            if any(h.dispute_file_id == dispute_file_id for h in active_holds(session, row.id)):
                continue  # a concurrent call of the same owner placed it meanwhile
            hold = LegalHold(archived_document_id=row.id, dispute_file_id=dispute_file_id,
                             reason=reason, placed_by=actor, placed_at=archive.clock())
            session.add(hold)
            session.flush()
            current.legal_hold = True
            record(session, "archive.legal_hold_placed", subject_type="archived_document",
                   subject_id=row.id, actor=actor, customer_id=row.customer_id,
                   data={"key": row.key, "version_id": row.version_id, "reason": reason,
                         "hold_id": hold.id, "dispute_file": dispute_file_id})
        changed.append(current)
    return changed


def release_hold(archive: Archive, record_ids: Sequence[int], reason: str,
                 actor: str = "system", *, dispute_file_id: int | None = None,
                 ) -> list[ArchivedDocument]:
    """Lift holds; return the documents whose holds were lifted.

    With `dispute_file_id` (the dispute's closing): only the holds that dispute placed. Without
    it (a person): the manual holds and those of closed disputes; refused with `HeldByDispute`,
    before anything changes, when an open dispute holds one of the documents. A document stays
    held while another of its holds is active.
    """
    reason = _require_reason(reason)
    plan: list[tuple[ArchivedDocument, list[int]]] = []
    with archive.db() as session:
        rows = [load_archived(session, record_id) for record_id in record_ids]
        for row in rows:
            active = active_holds(session, row.id)
            if dispute_file_id is None:
                blocking = sorted({h.dispute_file_id for h in active
                                   if h.dispute_file_id is not None
                                   and _dispute_is_open(session, h.dispute_file_id)})
                if blocking:
                    raise HeldByDispute(row.id, row.key, blocking)
                lifted = active
            else:
                lifted = [h for h in active if h.dispute_file_id == dispute_file_id]
            # A flag without any hold row (held before holds were recorded) is a manual hold.
            legacy = dispute_file_id is None and not active and row.legal_hold
            if lifted or legacy:
                plan.append((row, [h.id for h in lifted]))
    changed: list[ArchivedDocument] = []
    for row, hold_ids in plan:
        assert row.version_id is not None
        with transaction(archive.db) as session:
            current = _locked_document(session, row.id)
            for hold in active_holds(session, row.id):
                if hold.id in hold_ids:
                    hold.released_at = archive.clock()
                    hold.released_by = actor
                    hold.release_reason = reason
            session.flush()
            still_held = bool(active_holds(session, row.id))
            current.legal_hold = still_held
            record(session, "archive.legal_hold_released", subject_type="archived_document",
                   subject_id=row.id, actor=actor, customer_id=row.customer_id,
                   data={"key": row.key, "version_id": row.version_id, "reason": reason,
                         "hold_ids": hold_ids, "dispute_file": dispute_file_id,
                         "still_held": still_held})
        if not still_held:
            archive.store.set_legal_hold(row.key, row.version_id, False)
        changed.append(current)
    return changed


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
