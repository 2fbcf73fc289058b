"""A document's retention and hold as each of the archive's own records shows them.

Four records say how long a document is kept and whether it is held, and each can be edited
behind Liasse's back by someone with the right access:

- the database row (`archived_documents.retain_until`, `legal_hold`) and its hold rows;
- the store: the S3 server's Object Lock (mode, retain-until, legal hold), or the local folder's
  sidecar file, which is only write-once against the application, not against an administrator;
- the audit trail: the retain-until recorded at deposit and at each extension (hash-chained, and
  anchored by the archived audit-log segments, see `audit_log.verify_anchors`).

`read_records` gathers them; `disagreements` names every difference. `integrity.verify` reports
them, and the retention sweep takes the latest date any record shows and deletes nothing whose
records disagree (it reports them instead), so editing one record, or two, never shortens a
retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from dossiers.archive.archive import Archive
from dossiers.archive.models import ArchivedDocument, LegalHold
from dossiers.archive.store import COMPLIANCE
from dossiers.audit import AuditEvent
from dossiers.audit.chain import event_hash

_RETENTION_EVENTS = ("archive.deposited", "archive.retention_extended")


def _second(moment: datetime) -> datetime:
    """Dates compared to the second, in UTC (stores keep milliseconds at most)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _day(moment: datetime | None) -> str:
    return _second(moment).isoformat() if moment is not None else "none"


@dataclass(frozen=True)
class Disagreement:
    kind: str  # "retention" | "lock_mode" | "hold" | "audit"
    detail: str


@dataclass(frozen=True)
class RetentionRecords:
    record_id: int
    key: str
    database: datetime
    store: datetime | None
    audit: datetime | None
    lock_mode: str | None
    database_hold: bool
    store_hold: bool
    active_holds: int
    audit_edited: bool = False

    @property
    def latest(self) -> datetime:
        """The latest retain-until any record shows: the only one a deletion may rely on."""
        return max(_second(d) for d in (self.database, self.store, self.audit) if d is not None)

    @property
    def held(self) -> bool:
        return self.database_hold or self.store_hold or self.active_holds > 0

    def disagreements(self) -> list[Disagreement]:
        found: list[Disagreement] = []
        dates = {"database": self.database, "store": self.store, "audit trail": self.audit}
        if len({_day(d) for d in dates.values()}) > 1:
            found.append(Disagreement("retention", "retain-until differs: " + ", ".join(
                f"{name} {_day(d)}" for name, d in dates.items())))
        if self.lock_mode != COMPLIANCE:
            found.append(Disagreement("lock_mode", f"store lock mode is {self.lock_mode}, "
                                                   f"not {COMPLIANCE}"))
        holds = {self.database_hold, self.store_hold, self.active_holds > 0}
        if len(holds) > 1:
            found.append(Disagreement("hold", f"legal hold differs: database "
                                              f"{self.database_hold}, store {self.store_hold}, "
                                              f"{self.active_holds} active hold record(s)"))
        if self.audit_edited:
            found.append(Disagreement("audit", "an audit event of this document's retention "
                                               "was modified after it was recorded"))
        return found

    def describe(self) -> str:
        return "; ".join(d.detail for d in self.disagreements())


def read_records(archive: Archive, row: ArchivedDocument) -> RetentionRecords:
    """Every record of one archived version (raises `ObjectMissing` if the store lacks it)."""
    info = archive.store.head(row.key, row.version_id)
    with archive.db() as session:
        current = session.get_one(ArchivedDocument, row.id)
        events = list(session.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "archived_document",
            AuditEvent.subject_id == str(row.id),
            AuditEvent.action.in_(_RETENTION_EVENTS)).order_by(AuditEvent.seq)))
        active = len(session.scalars(select(LegalHold.id).where(
            LegalHold.archived_document_id == row.id,
            LegalHold.released_at.is_(None))).all())
        database, database_hold = current.retain_until, current.legal_hold
    recorded: list[datetime] = []
    for event in events:
        value = (event.data or {}).get("retain_until" if event.action == _RETENTION_EVENTS[0]
                                       else "to")
        try:
            recorded.append(datetime.fromisoformat(str(value)))
        except ValueError:
            continue
    return RetentionRecords(
        record_id=row.id, key=row.key, database=database, store=info.retain_until,
        audit=max((_second(d) for d in recorded), default=None), lock_mode=info.lock_mode,
        database_hold=database_hold, store_hold=info.legal_hold, active_holds=active,
        audit_edited=any(event_hash(event) != event.hash for event in events),
    )
