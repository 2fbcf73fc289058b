"""`liasse archive ...` end to end on the embedded setup (SQLite + local folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.schema import migrate
from connectors.archive import LocalFolderArchive
from dossiers.archive import Archive, RetentionPolicy, archive_document
from dossiers.db import make_engine, make_session_factory
from dossiers.errors import IntegrityFailure
from liasse.cli import environment
from liasse.cli.main import root

from .support import add_customer, corrupt_object


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    monkeypatch.setenv("LIASSE_DATABASE_URL", "")
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "local")
    environment.clear_caches()
    migrate.upgrade(f"sqlite:///{(tmp_path / 'liasse.db').resolve()}")
    yield tmp_path
    environment.clear_caches()


def _seed(home: Path) -> tuple[Archive, list[int]]:
    factory = make_session_factory(make_engine(f"sqlite:///{(home / 'liasse.db').resolve()}"))
    archive = Archive(factory, LocalFolderArchive(home / "archive"), RetentionPolicy())
    customer_id = add_customer(factory)
    ids = [
        archive_document(archive, document_type="invoice", document_id=n, document_number=n,
                         issue_date=date.today(), customer_id=customer_id,
                         content=f"%PDF {n}".encode()).id
        for n in ("F-2026-0001", "F-2026-0002")
    ]
    return archive, ids


def _run(*args: str) -> str:
    result = CliRunner().invoke(root, ["--lang", "en", "archive", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_find_get_hold_sweep_export_and_verify_export(home: Path) -> None:
    _archive, ids = _seed(home)
    listing = _run("find", "--customer", "C000042", "--type", "invoice", "--json")
    numbers = [json.loads(line)["document_number"] for line in listing.splitlines()]
    assert numbers == ["F-2026-0001", "F-2026-0002"]
    assert _run("find", "--number", "F-2026-0002", "--json").count("\n") == 1
    out = home / "copy.pdf"
    _run("get", str(ids[0]), "-o", str(out))
    assert out.read_bytes() == b"%PDF F-2026-0001"
    assert "2 object(s) verified" in _run("verify")
    assert "1 document(s) held" in _run("hold", str(ids[0]), "--reason", "Dispute L-1")
    assert "0 to delete" in _run("sweep")
    zip_path = home / "export.zip"
    _run("export", "--customer", "C000042", "-o", str(zip_path))
    assert "2 document(s)" in _run("verify-export", str(zip_path))
    assert "segment 1" in _run("export-audit-log")


def _liasse(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIASSE_HOME": str(home), "LIASSE_DATABASE_URL": "",
           "LIASSE_ARCHIVE_BACKEND": "local"}
    return subprocess.run([sys.executable, "-m", "liasse.cli.main", "archive", *args],
                          capture_output=True, text=True, env=env, check=False)


def test_corruption_exits_7_with_one_line_and_verify_export_needs_no_database(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    archive, ids = _seed(home)
    zip_path = home / "export.zip"
    _run("export", "--customer", "C000042", "-o", str(zip_path))
    with archive.db() as s:
        from dossiers.archive import ArchivedDocument

        row = s.get_one(ArchivedDocument, ids[1])
    assert row.version_id is not None
    corrupt_object(archive.backend, row.key, row.version_id, b"%PDF rot")
    bad = _liasse(home, "verify")
    assert bad.returncode == 7, bad.stderr
    assert f"#{ids[1]}" in bad.stdout
    assert bad.stderr.count("\n") == 1, bad.stderr

    forged = home / "forged.zip"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            target.writestr(item, b"x" if item.filename.endswith(".pdf") else source.read(item))
    os.environ["LIASSE_HOME"] = str(tmp_path_factory.mktemp("nodb"))  # restored by monkeypatch
    environment.clear_caches()
    assert "2 document(s)" in _run("verify-export", str(zip_path))
    result = CliRunner().invoke(root, ["archive", "verify-export", str(forged)])
    assert isinstance(result.exception, IntegrityFailure)
    assert "documents/invoice" in result.output
    assert not (Path(os.environ["LIASSE_HOME"]) / "liasse.db").exists()  # no database opened
