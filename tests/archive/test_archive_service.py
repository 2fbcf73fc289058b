"""Archiving, retrieval, integrity, legal hold and sweep, on both databases and both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.archive import (
    Archive,
    ArchivedDocument,
    ArchiveState,
    archive_document,
    extend_retention,
    find,
    get_document,
    place_hold,
    release_hold,
    retention_sweep,
    verify,
    verify_rolling,
)
from dossiers.archive.errors import (
    ArchiveConflict,
    RetentionInPast,
    RetentionShortening,
    UnknownDocumentType,
)
from dossiers.audit import AuditEvent
from dossiers.audit import verify as verify_chain
from dossiers.errors import IntegrityFailure, NotFound

from .support import (
    TestClock,
    corrupt_object,
    move_server_clock,
    remove_object,
    tamper_metadata,
)

PDF = b"%PDF-1.7 invoice F-2026-0001"


def deposit(archive: Archive, number: str = "F-2026-0001", content: bytes = PDF,
            document_id: str | None = None, **kwargs: object) -> ArchivedDocument:
    params: dict[str, object] = {
        "document_type": "invoice", "document_id": document_id or number,
        "document_number": number, "issue_date": archive.clock().date(), "content": content,
    }
    params.update(kwargs)
    return archive_document(archive, **params)  # type: ignore[arg-type]


def actions(db: sessionmaker[Session]) -> list[str]:
    with db() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def versions(archive: Archive) -> int:
    return len(list(archive.backend.iter_versions()))


def rows(db: sessionmaker[Session]) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(ArchivedDocument)) or 0


def test_deposit_records_key_version_hash_and_retention(archive: Archive) -> None:
    row = deposit(archive)
    assert row.state is ArchiveState.ARCHIVED
    assert row.key == f"invoice/{archive.clock().year}/F-2026-0001.pdf"
    year = archive.clock().year
    assert row.retain_until == datetime(year + 11, 1, 1, tzinfo=UTC)  # FY end + 10 years
    info = archive.backend.head(row.key, row.version_id)
    assert info.retain_until == row.retain_until
    assert info.metadata["sha256"] == row.sha256
    assert info.metadata["document-number"] == "F-2026-0001"
    assert info.metadata["retention-class"] == "commercial_10y"
    assert actions(archive.db) == ["archive.deposit_started", "archive.deposited"]


def test_archiving_twice_returns_the_same_record_without_a_new_put(archive: Archive) -> None:
    first = deposit(archive)
    again = deposit(archive)
    assert again.id == first.id and again.version_id == first.version_id
    assert versions(archive) == 1
    assert rows(archive.db) == 1


def test_same_document_with_other_content_is_refused(archive: Archive) -> None:
    first = deposit(archive)
    with pytest.raises(ArchiveConflict, match="Rien n'a été écrasé"):
        deposit(archive, content=b"%PDF forged")
    assert versions(archive) == 1
    assert archive.backend.get(first.key).body == PDF


def test_key_collision_with_other_content_is_refused(archive: Archive) -> None:
    deposit(archive, document_id="invoice-1")
    with pytest.raises(ArchiveConflict):
        deposit(archive, document_id="invoice-2", content=b"%PDF other")
    assert versions(archive) == 1 and rows(archive.db) == 1


def test_foreign_object_already_under_the_key_is_not_overwritten(archive: Archive) -> None:
    key = f"invoice/{archive.clock().year}/F-2026-0009.pdf"
    archive.backend.put(key, b"someone else", {"sha256": "0" * 64},
                        archive.clock() + timedelta(days=1))
    with pytest.raises(ArchiveConflict):
        deposit(archive, number="F-2026-0009")
    assert rows(archive.db) == 0
    assert archive.backend.get(key).body == b"someone else"


def test_unknown_type_and_past_retention_change_nothing(archive: Archive) -> None:
    with pytest.raises(UnknownDocumentType, match="delivery_note"):
        deposit(archive, document_type="delivery_note")
    with pytest.raises(RetentionInPast):
        deposit(archive, issue_date=date(2001, 3, 1))
    with pytest.raises(RetentionInPast):
        deposit(archive, retain_until=archive.clock() - timedelta(days=1))
    with pytest.raises(RetentionShortening):
        deposit(archive, retain_until=archive.clock() + timedelta(days=10))
    assert rows(archive.db) == 0 and versions(archive) == 0 and actions(archive.db) == []


def test_get_checks_the_hash_and_logs_the_retrieval(archive: Archive) -> None:
    row = deposit(archive, customer_id=None)
    got, body = get_document(archive, row.id, actor="compliance@x")
    assert body == PDF and got.id == row.id
    assert actions(archive.db)[-1] == "archive.retrieved"
    with pytest.raises(NotFound):
        get_document(archive, 999)


def test_get_refuses_a_corrupted_object(archive: Archive) -> None:
    row = deposit(archive)
    assert row.version_id is not None
    corrupt_object(archive.backend, row.key, row.version_id, b"%PDF tampered")
    with pytest.raises(IntegrityFailure):
        get_document(archive, row.id)
    assert actions(archive.db)[-1] == "archive.verification_failed"


def test_verify_reports_corrupted_and_missing_objects(archive: Archive) -> None:
    _good, bad, gone = (deposit(archive, number=f"F-2026-000{i}") for i in (1, 2, 3))
    assert bad.version_id and gone.version_id
    corrupt_object(archive.backend, bad.key, bad.version_id, b"%PDF tampered")
    remove_object(archive.backend, gone.key, gone.version_id)
    report = verify(archive)
    assert report.checked == 3
    assert {(p.record_id, p.kind) for p in report.problems} == {
        (bad.id, "content"), (gone.id, "missing")
    }
    assert actions(archive.db).count("archive.verification_failed") == 2
    with archive.db() as s:
        assert verify_chain(s).ok


def test_verify_reports_metadata_that_disagrees(archive: Archive) -> None:
    row = deposit(archive)
    assert row.version_id is not None
    tamper_metadata(archive.backend, row.key, row.version_id, "f" * 64)
    report = verify(archive)
    assert [(p.record_id, p.kind) for p in report.problems] == [(row.id, "metadata")]


def test_a_new_version_behind_our_back_leaves_the_archived_one_intact(archive: Archive) -> None:
    row = deposit(archive)
    archive.backend.put(row.key, b"%PDF replacement", {"sha256": "0" * 64},
                        archive.clock() + timedelta(days=1))
    assert archive.backend.get(row.key).body == b"%PDF replacement"
    assert get_document(archive, row.id)[1] == PDF  # Liasse reads the version it recorded
    assert verify(archive).ok


def test_rolling_sample_checks_the_oldest_verified_first(archive: Archive,
                                                         clock: TestClock) -> None:
    ids = [deposit(archive, number=f"F-2026-{i:04d}").id for i in range(1, 6)]
    seen: list[set[int]] = []
    for _day in range(3):
        report = verify_rolling(archive, period_days=3)  # ceil(5 / 3) = 2 a day
        assert report.ok and report.checked == 2
        with archive.db() as s:
            seen.append({r.id for r in s.scalars(select(ArchivedDocument).where(
                ArchivedDocument.last_verified_at == clock()))})
        clock.advance(days=1)
    assert set().union(*seen) == set(ids)  # every object re-checked within the period


def test_hold_and_sweep_after_expiry(archive: Archive, clock: TestClock,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    kept = deposit(archive, number="F-2026-0001")
    held = deposit(archive, number="F-2026-0002")
    place_hold(archive, [held.id], reason="Litige L-17", actor="disputes")
    assert archive.backend.head(held.key, held.version_id).legal_hold
    assert actions(archive.db)[-1] == "archive.legal_hold_placed"
    assert place_hold(archive, [held.id], reason="again") == []  # already held: no-op

    assert retention_sweep(archive).candidates == []  # nothing expired yet
    later = kept.retain_until + timedelta(seconds=1)
    clock.now = later
    move_server_clock(archive.backend, later, monkeypatch)

    dry = retention_sweep(archive)
    assert dry.candidates == [kept.id] and dry.deleted == []
    assert versions(archive) == 2  # dry run touches nothing

    real = retention_sweep(archive, dry_run=False, actor="sweeper")
    assert real.deleted == [kept.id]
    with archive.db() as s:
        assert s.get_one(ArchivedDocument, kept.id).state is ArchiveState.DELETED
        assert s.get_one(ArchivedDocument, held.id).state is ArchiveState.ARCHIVED
    assert [v.key for v in archive.backend.iter_versions()] == [held.key]
    assert actions(archive.db)[-2:] == ["archive.expired", "archive.deleted"]

    release_hold(archive, [held.id], reason="Litige clos")
    assert actions(archive.db)[-1] == "archive.legal_hold_released"
    assert retention_sweep(archive, dry_run=False).deleted == [held.id]
    assert versions(archive) == 0
    with archive.db() as s:
        assert verify_chain(s).ok


def test_sweep_respects_a_backend_hold_the_database_missed(
    archive: Archive, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = deposit(archive)
    assert row.version_id is not None
    archive.backend.set_legal_hold(row.key, row.version_id, True)  # behind Liasse's back
    clock.now = row.retain_until + timedelta(days=1)
    move_server_clock(archive.backend, clock.now, monkeypatch)
    report = retention_sweep(archive, dry_run=False)
    assert report.deleted == [] and row.id in report.refused
    with archive.db() as s:
        assert s.get_one(ArchivedDocument, row.id).state is ArchiveState.ARCHIVED
    assert archive.backend.get(row.key, row.version_id).body == PDF


def test_extend_retention_only_lengthens(archive: Archive) -> None:
    row = deposit(archive)
    longer = row.retain_until + timedelta(days=365)
    extend_retention(archive, row.id, longer, reason="Contrôle fiscal")
    assert archive.backend.head(row.key, row.version_id).retain_until == longer
    with pytest.raises(RetentionShortening):
        extend_retention(archive, row.id, row.retain_until, reason="oops")
    with archive.db() as s:
        assert s.get_one(ArchivedDocument, row.id).retain_until == longer
    assert actions(archive.db)[-1] == "archive.retention_extended"


def test_sweep_never_deletes_before_expiry_even_if_the_database_says_so(
    archive: Archive, db: sessionmaker[Session]
) -> None:
    """A tampered ledger (retain-until moved back) cannot trick Liasse into deleting."""
    row = deposit(archive)
    with db.begin() as s:
        s.get_one(ArchivedDocument, row.id).retain_until = datetime(2000, 1, 1, tzinfo=UTC)
    report = retention_sweep(archive, dry_run=False)
    assert report.deleted == [] and row.id in report.refused
    assert "conservé jusqu'au" in report.refused[row.id]  # Liasse's guard, before any delete
    assert archive.backend.get(row.key, row.version_id).body == PDF


def test_find_by_customer_type_number_and_dates(archive: Archive) -> None:
    deposit(archive, number="F-1", issue_date=date(2026, 1, 5))
    deposit(archive, number="C-1", document_type="contract", issue_date=date(2026, 2, 5))
    with archive.db() as s:
        assert [r.document_number for r in find(s, document_type="contract")] == ["C-1"]
        assert [r.document_number for r in find(s, document_number="F-1")] == ["F-1"]
        assert [r.document_number for r in find(s, issued_from=date(2026, 2, 1))] == ["C-1"]
        assert len(find(s, issued_to=date(2026, 12, 31))) == 2


class CrashAfterPut:
    """A store whose process 'dies' right after the put reached the backend."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.puts = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def put(self, *args: object) -> str:
        self.puts += 1
        self.inner.put(*args)  # type: ignore[attr-defined]
        raise ConnectionError("worker killed after the put")


def test_interrupted_deposit_is_resumed_without_a_second_put(archive: Archive) -> None:
    crashing = CrashAfterPut(archive.backend)
    with pytest.raises(ConnectionError):
        deposit(Archive(archive.db, crashing, archive.policy, archive.clock))  # type: ignore[arg-type]
    with archive.db() as s:
        assert s.scalars(select(ArchivedDocument.state)).one() is ArchiveState.PENDING
    row = deposit(archive)  # the retry adopts the version already stored
    assert row.state is ArchiveState.ARCHIVED and versions(archive) == 1
    assert archive.backend.head(row.key).version_id == row.version_id
    assert actions(archive.db) == ["archive.deposit_started", "archive.deposited"]


def test_unknown_customer_is_refused_before_anything_is_written(archive: Archive) -> None:
    with pytest.raises(NotFound):
        deposit(archive, customer_id=424242)
    assert rows(archive.db) == 0 and versions(archive) == 0
