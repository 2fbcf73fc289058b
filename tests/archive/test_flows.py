"""The flows are thin: their bodies, run as a worker would (settings from the environment, S3
reached over HTTP with `endpoint_url`), call the archive functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from application.settings import Settings
from connectors.archive import ArchiveSettings, open_store
from dossiers.archive import Archive, archive_document
from dossiers.db import Base, make_engine, make_session_factory
from flows.archive import audit_log_export_flow, retention_sweep_flow, rolling_verification_flow

from .conftest import S3Target


@pytest.fixture
def worker_env(tmp_path: Path, s3_target: S3Target,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Archive]:
    if s3_target.bucket is not None:
        monkeypatch.setenv("LIASSE_ARCHIVE_S3_BUCKET", s3_target.bucket)
        monkeypatch.setenv("LIASSE_ARCHIVE_S3_PREFIX", f"flows-{uuid.uuid4().hex[:8]}/")
    else:
        monkeypatch.setenv("LIASSE_ARCHIVE_S3_BUCKET", f"liasse-flow-{uuid.uuid4().hex[:12]}")
    for name, value in {
        "LIASSE_HOME": str(tmp_path), "LIASSE_DATABASE_URL": "",
        "LIASSE_ARCHIVE_BACKEND": "s3", "LIASSE_ARCHIVE_S3_ENDPOINT_URL": s3_target.endpoint,
        "LIASSE_ARCHIVE_S3_ACCESS_KEY": s3_target.access_key,
        "LIASSE_ARCHIVE_S3_SECRET_KEY": s3_target.secret_key,
        "LIASSE_ARCHIVE_S3_REGION": s3_target.region,
    }.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(Settings().resolved_database_url)
    Base.metadata.create_all(engine)
    config = ArchiveSettings()
    yield Archive(make_session_factory(engine), open_store(config, tmp_path / "unused"),
                  config.retention_policy())
    engine.dispose()


def test_flow_bodies_use_the_configured_s3_archive(worker_env: Archive) -> None:
    row = archive_document(worker_env, document_type="invoice", document_id="1",
                           document_number="F-2026-0001", issue_date=date.today(),
                           content=b"%PDF flow")
    assert retention_sweep_flow.fn() == {"dry_run": True, "candidates": [], "deleted": [],
                                         "refused": {}}
    assert rolling_verification_flow.fn() == {"checked": 1, "problems": []}
    exported = audit_log_export_flow.fn()
    assert exported is not None and exported["segment"] == 1
    assert worker_env.backend.head(row.key, row.version_id).metadata["sha256"] == row.sha256
