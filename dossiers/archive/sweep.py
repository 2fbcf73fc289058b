"""The retention sweep: delete what the law no longer requires us to keep.

Dry-run by default: it only lists candidates. A real run (`dry_run=False`) deletes, per
document: state `deleting` + an `archive.expired` event are committed first (the intent is on
record before the destructive call), then the guarded store re-reads the version (retention,
legal hold) and deletes it, then state `deleted` + `archive.deleted`. A refusal by the guard or
the backend puts the document back to `archived` with an `archive.deletion_refused` event.

Before any of it, every record of the document is read (`dossiers.archive.records`: database,
store or sidecar, hold records, audit trail): the sweep relies on the LATEST retain-until any of
them shows, and deletes nothing whose records disagree (retention, lock mode or hold), dry run or
not; such a document is reported in `refused` (with an `archive.deletion_refused` event on a real
run) and left as it is. Editing the database and the local sidecar together therefore no longer
lets a document go: the audit trail still shows the deposited date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from dossiers.archive.archive import Archive
from dossiers.archive.errors import RecordsDisagree
from dossiers.archive.models import ArchivedDocument, ArchiveState
from dossiers.archive.records import read_records
from dossiers.archive.store import ObjectMissing
from dossiers.audit import record
from dossiers.db import transaction
from dossiers.errors import IllegalTransition


@dataclass
class SweepReport:
    dry_run: bool
    candidates: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def expired_documents(archive: Archive, limit: int | None = None) -> list[ArchivedDocument]:
    now = archive.clock()
    query = (
        select(ArchivedDocument)
        .where(ArchivedDocument.state.in_([ArchiveState.ARCHIVED, ArchiveState.DELETING]),
               ArchivedDocument.retain_until <= now,
               ArchivedDocument.legal_hold.is_(False))
        .order_by(ArchivedDocument.retain_until, ArchivedDocument.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with archive.db() as session:
        return list(session.scalars(query))


def retention_sweep(
    archive: Archive, *, dry_run: bool = True, limit: int | None = None, actor: str = "system"
) -> SweepReport:
    report = SweepReport(dry_run=dry_run)
    for row in expired_documents(archive, limit):
        refusal = _records_refusal(archive, row)
        if refusal is not None:
            report.refused[row.id] = refusal.message
            if not dry_run:
                with transaction(archive.db) as session:
                    record(session, "archive.deletion_refused", subject_type="archived_document",
                           subject_id=row.id, actor=actor, customer_id=row.customer_id,
                           data={"key": row.key, "version_id": row.version_id,
                                 "retain_until": row.retain_until.isoformat(),
                                 "reason": refusal.en})
            continue
        report.candidates.append(row.id)
        if dry_run:
            continue
        _mark(archive, row, ArchiveState.DELETING, "archive.expired", actor, {})
        assert row.version_id is not None
        note: dict[str, str] = {}
        try:
            archive.store.delete(row.key, row.version_id)
        except ObjectMissing:
            # A previous run deleted it and crashed before recording: finish recording.
            note = {"note": "version already absent from the store"}
        except IllegalTransition as refusal:
            report.refused[row.id] = refusal.message
            _mark(archive, row, ArchiveState.ARCHIVED, "archive.deletion_refused", actor,
                  {"reason": refusal.en})
            continue
        _mark(archive, row, ArchiveState.DELETED, "archive.deleted", actor, note)
        report.deleted.append(row.id)
    return report


def _records_refusal(archive: Archive, row: ArchivedDocument) -> RecordsDisagree | None:
    """Why the records forbid deleting `row` now, or None when they all agree it may go."""
    try:
        records = read_records(archive, row)
    except ObjectMissing:
        return None  # a previous run deleted it and crashed before recording: finish below
    latest = records.latest.isoformat()
    if records.disagreements():
        return RecordsDisagree(row.key, latest, records.describe())
    if records.held:
        return RecordsDisagree(row.key, latest, "the document is on legal hold")
    if records.latest > archive.clock():
        return RecordsDisagree(row.key, latest, f"retained until {latest}")
    return None


def _mark(archive: Archive, row: ArchivedDocument, state: ArchiveState, action: str, actor: str,
          extra: dict[str, str]) -> None:
    with transaction(archive.db) as session:
        current = session.get_one(ArchivedDocument, row.id)
        current.state = state
        if state is ArchiveState.DELETED:
            current.deleted_at = archive.clock()
        record(session, action, subject_type="archived_document", subject_id=row.id,
               actor=actor, customer_id=row.customer_id,
               data={"key": row.key, "version_id": row.version_id,
                     "retain_until": row.retain_until.isoformat(), **extra})
