"""Issue 14 item 5: the archive's own records of a retention could drift unseen.

`archive verify` compared content hashes only: it said OK after the S3 server's retention was
shortened (database: 10 years) and after the database date was edited. On the local folder,
editing the sidecar and the database together let the sweep delete a document. Now the store's
retention, lock mode and hold are compared with the database, the hold records and the audit
trail; the sweep takes the latest date any of them shows and never deletes on a disagreement.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.archive import LocalFolderArchive, S3Archive
from dossiers.archive import (
    Archive,
    ArchivedDocument,
    ArchiveState,
    RetentionPolicy,
    archive_document,
    retention_sweep,
    verify,
)
from dossiers.errors import IntegrityFailure
from liasse.cli import environment
from liasse.cli.main import root

from .support import TestClock, move_server_clock

PDF = b"%PDF-1.7 invoice F-2026-0001"


def deposit(archive: Archive) -> ArchivedDocument:
    return archive_document(archive, document_type="invoice", document_id="F-2026-0001",
                            document_number="F-2026-0001", issue_date=archive.clock().date(),
                            content=PDF)


def edit_database(db: sessionmaker[Session], row: ArchivedDocument, until: datetime) -> None:
    with db.begin() as s:
        s.get_one(ArchivedDocument, row.id).retain_until = until


def edit_sidecar(store: LocalFolderArchive, row: ArchivedDocument, until: datetime) -> None:
    """What an administrator of the folder can do: the folder is write-once against the
    application only."""
    sidecar = store.root / f"{row.key}@versions" / f"{row.version_id}.json"
    data = json.loads(sidecar.read_text())
    data["retain_until"] = until.isoformat()
    sidecar.chmod(0o644)
    sidecar.write_text(json.dumps(data))


def kinds(archive: Archive) -> set[str]:
    return {problem.kind for problem in verify(archive).problems}


def test_verify_reports_a_database_retention_edited_back(archive: Archive,
                                                        db: sessionmaker[Session]) -> None:
    row = deposit(archive)
    assert verify(archive).ok
    edit_database(db, row, datetime(2020, 1, 1, tzinfo=UTC))
    report = verify(archive)
    assert [p.kind for p in report.problems] == ["retention"]
    assert "database 2020-01-01T00:00:00+00:00" in report.problems[0].detail
    assert f"audit trail {row.retain_until.isoformat()}" in report.problems[0].detail
    dry = retention_sweep(archive)
    assert dry.candidates == [] and "conservé jusqu'au" in dry.refused[row.id]
    assert row.retain_until.isoformat() in dry.refused[row.id]  # the latest date wins


def test_verify_reports_a_retention_shortened_on_the_s3_server(
    archive: Archive, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(archive.backend, S3Archive) or archive.backend.prefix:
        pytest.skip("shortening a COMPLIANCE retention needs moto (real S3 refuses it)")
    row = deposit(archive)
    shorter = clock.now.replace(microsecond=0) + timedelta(days=365)
    archive.backend.client.put_object_retention(
        Bucket=archive.backend.bucket, Key=row.key, VersionId=row.version_id,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": shorter})
    assert archive.backend.head(row.key, row.version_id).retain_until == shorter
    report = verify(archive)
    assert [p.kind for p in report.problems] == ["retention"]
    assert f"store {shorter.isoformat()}" in report.problems[0].detail

    # Past the server's date, the database wrongly edited to match: still nothing deleted.
    clock.now = shorter + timedelta(days=1)
    move_server_clock(archive.backend, clock.now, monkeypatch)
    edit_database(archive.db, row, shorter)
    report = retention_sweep(archive, dry_run=False)
    assert report.deleted == [] and row.id in report.refused
    assert "audit trail" in report.refused[row.id] or "journal" in report.refused[row.id]
    assert archive.backend.get(row.key, row.version_id).body == PDF

    archive.backend.client.put_object_retention(
        Bucket=archive.backend.bucket, Key=row.key, VersionId=row.version_id,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": row.retain_until})
    edit_database(archive.db, row, row.retain_until)
    assert kinds(archive) == {"lock_mode"}


def test_a_hold_the_store_and_the_database_disagree_on_is_reported(archive: Archive) -> None:
    row = deposit(archive)
    assert row.version_id is not None
    archive.backend.set_legal_hold(row.key, row.version_id, True)  # behind Liasse's back
    assert kinds(archive) == {"hold"}


def test_sidecar_and_database_edited_together_do_not_let_the_sweep_delete(
    db: sessionmaker[Session], tmp_path: Path, clock: TestClock
) -> None:
    store = LocalFolderArchive(tmp_path / "archive", clock=clock)
    archive = Archive(db=db, backend=store, policy=RetentionPolicy(), clock=clock)
    row = deposit(archive)
    past = datetime(2020, 1, 1, tzinfo=UTC)
    edit_sidecar(store, row, past)
    assert kinds(archive) == {"retention"}  # the sidecar alone
    edit_database(db, row, past)

    report = retention_sweep(archive, dry_run=False)
    assert report.deleted == [] and report.candidates == [] and row.id in report.refused
    assert row.retain_until.isoformat() in report.refused[row.id]
    assert store.get(row.key, row.version_id).body == PDF
    with db() as s:
        assert s.get_one(ArchivedDocument, row.id).state is ArchiveState.ARCHIVED
    problems = verify(archive).problems
    assert [p.kind for p in problems] == ["retention"]
    assert "database 2020" in problems[0].detail and "store 2020" in problems[0].detail


def test_cli_verify_fails_on_a_drifted_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from application.schema import migrate
    from dossiers.db import make_engine, make_session_factory

    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    monkeypatch.setenv("LIASSE_DATABASE_URL", "")
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "local")
    environment.clear_caches()
    url = f"sqlite:///{(tmp_path / 'liasse.db').resolve()}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    store = LocalFolderArchive(tmp_path / "archive")
    row = deposit(Archive(factory, store, RetentionPolicy()))
    try:
        ok = CliRunner().invoke(root, ["--lang", "en", "archive", "verify"])
        assert ok.exit_code == 0 and "1 object(s) verified" in ok.output
        edit_sidecar(store, row, row.retain_until - timedelta(days=3650))
        bad = CliRunner().invoke(root, ["--lang", "en", "archive", "verify"])
        assert isinstance(bad.exception, IntegrityFailure)
        assert "retention" in bad.output and "retain-until differs" in bad.output
    finally:
        environment.clear_caches()
