"""Sealed audit-log segments: CAdES seal archived next to each segment, checked offline.

The domain path seals with the certomancer test PKI (its TSA answers over HTTP on localhost); the
flow and CLI paths use the embedded defaults (demo PKI under LIASSE_HOME, in-process TSA), as a
bare installation would, and the segment and seal are verified by `verify-audit-log` from files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem
from sqlalchemy.orm import Session, sessionmaker

from application.schema import migrate
from connectors.archive import LocalFolderArchive
from dossiers.archive import (
    Archive,
    RetentionPolicy,
    check_segment,
    export_audit_segment,
    find,
    get_document,
)
from dossiers.audit import record
from dossiers.db import make_engine, make_session_factory, transaction
from dossiers.errors import IntegrityFailure
from flows.archive import audit_log_export_flow
from liasse.cli import environment
from signing.cades import seal_bytes, verify_detached
from signing.pades.profile import PadesLevel, PadesProfile
from signing.pades.seal import CompanySeal
from signing.pki import demo_pki
from signing.pki.seal_credentials import load_seal_signer
from signing.pki.signing_pki import SigningPki
from tests.conftest import CliRun
from tests.signing.certomancer_pki import running_test_pki
from tests.signing.conftest import make_signing_pki

from .support import TestClock


@pytest.fixture(scope="module")
def cert_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningPki]:
    with running_test_pki(tmp_path_factory.mktemp("certomancer")) as pki:
        yield make_signing_pki(pki)


@pytest.fixture
def local_archive(db: sessionmaker[Session], tmp_path: Path) -> Archive:
    clock = TestClock(datetime.now(UTC).replace(microsecond=0))
    store = LocalFolderArchive(tmp_path / "archive", clock=clock)
    return Archive(db=db, backend=store, policy=RetentionPolicy(), clock=clock)


def _add_events(factory: sessionmaker[Session], count: int = 3) -> None:
    with transaction(factory) as s:
        for n in range(count):
            record(s, "demo.event", subject_type="demo", subject_id=n, data={"n": n})


def _archived(archive: Archive, document_type: str) -> list[bytes]:
    with archive.db() as s:
        ids = [row.id for row in find(s, document_type=document_type)]
    return [get_document(archive, record_id)[1] for record_id in ids]


def _flip(content: bytes, offset: int) -> bytes:
    tampered = bytearray(content)
    tampered[offset] ^= 0x01
    return bytes(tampered)


def test_sealed_segment_verifies_offline_with_a_tsa_timestamp(
    local_archive: Archive, cert_pki: SigningPki
) -> None:
    _add_events(local_archive.db)
    seal = cert_pki.company_seal()
    exported = export_audit_segment(local_archive, seal=lambda data: seal_bytes(data, seal))
    assert exported is not None
    [segment] = _archived(local_archive, "audit_log")
    [signature] = _archived(local_archive, "audit_log_seal")
    assert segment == exported.content

    assert check_segment(segment) == []
    report = verify_detached(segment, signature, cert_pki.trust_roots)
    assert report.ok, report.problems
    assert report.timestamp is not None and report.signing_time is not None

    # A byte of the header (here the export date) is outside every event hash: only the seal
    # sees it. A byte of an event breaks both the chain and the seal.
    in_header = _flip(segment, segment.index(b"exported_at") + 20)
    assert check_segment(in_header) == []
    assert not verify_detached(in_header, signature, cert_pki.trust_roots).ok
    in_event = _flip(segment, segment.rindex(b"demo.event") + 2)
    assert check_segment(in_event) != []
    assert not verify_detached(in_event, signature, cert_pki.trust_roots).ok


def test_seal_by_a_certificate_outside_the_trust_roots_fails(
    cli: CliRun, local_archive: Archive, cert_pki: SigningPki, tmp_path: Path
) -> None:
    _add_events(local_archive.db, 1)
    files = demo_pki.ensure_demo_pki(tmp_path / "stranger")
    stranger = CompanySeal(
        load_seal_signer(files.path(demo_pki.SEAL), files.path(demo_pki.SEAL_KEY)),
        PadesProfile(level=PadesLevel.B_B), "Stranger",
    )
    export_audit_segment(local_archive, seal=lambda data: seal_bytes(data, stranger))
    [segment] = _archived(local_archive, "audit_log")
    [signature] = _archived(local_archive, "audit_log_seal")
    assert check_segment(segment) == []  # the chain is fine, only the seal is foreign
    report = verify_detached(segment, signature, cert_pki.trust_roots)
    assert not report.ok
    assert any("untrusted" in p or "non reconnue" in p for p in report.problems)

    roots = tmp_path / "roots.pem"
    roots.write_bytes(b"".join(pem.armor("CERTIFICATE", c.dump()) for c in cert_pki.trust_roots))
    segment_path, seal_path = _write_pair(local_archive, tmp_path)
    failed = cli("archive", "verify-audit-log", str(segment_path), str(seal_path),
                 "--trust-roots", str(roots), lang="en")
    assert isinstance(failed.exception, IntegrityFailure)
    assert "untrusted chain" in failed.output and "Liasse (démo)" in failed.output


# --- the embedded defaults: flow body and CLI, demo PKI under LIASSE_HOME ----------------------
def _embedded_env(monkeypatch: pytest.MonkeyPatch, home: Path, database_url: str) -> None:
    for name in ("LIASSE_TRUST_ROOTS", "LIASSE_SEAL_CERT", "LIASSE_TSA_URL",
                 "LIASSE_SIGNING_CA_CERT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIASSE_HOME", str(home))
    monkeypatch.setenv("LIASSE_DATABASE_URL", database_url)
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "local")
    environment.clear_caches()


@pytest.fixture
def cleared_caches() -> Iterator[None]:
    yield
    environment.clear_caches()


def _cli(cli: CliRun, *args: str) -> str:
    result = cli("archive", *args, lang="en")
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _write_pair(archive: Archive, folder: Path) -> tuple[Path, Path]:
    [segment] = _archived(archive, "audit_log")
    [signature] = _archived(archive, "audit_log_seal")
    segment_path, seal_path = folder / "segment.jsonl", folder / "segment.seal"
    segment_path.write_bytes(segment)
    seal_path.write_bytes(signature)
    return segment_path, seal_path


def test_flow_archives_segment_and_seal_and_cli_verifies_them(
    cli: CliRun, db: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = db.kw["bind"].url.render_as_string(hide_password=False)
    _embedded_env(monkeypatch, cli.home, url)
    _add_events(db)
    result = audit_log_export_flow.fn()
    assert result is not None and result["segment"] == 1 and result["sealed"] is True

    archive = Archive(db, LocalFolderArchive(cli.home / "archive"), RetentionPolicy())
    segment_path, seal_path = _write_pair(archive, tmp_path)
    out = _cli(cli, "verify-audit-log", str(segment_path), str(seal_path))
    assert "segment intact and seal valid" in out and "Timestamp : 20" in out

    content = segment_path.read_bytes()
    segment_path.write_bytes(_flip(content, content.rindex(b"demo.event") + 2))
    failed = cli("archive", "verify-audit-log", str(segment_path), str(seal_path), lang="en")
    assert isinstance(failed.exception, IntegrityFailure)
    assert "digest mismatch" in failed.output


def test_cli_export_seals_by_default_and_not_with_no_seal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleared_caches: None
) -> None:
    home = tmp_path / "home"
    _embedded_env(monkeypatch, home, "")
    url = f"sqlite:///{(home / 'liasse.db').resolve()}"
    home.mkdir()
    migrate.upgrade(url)
    cli = CliRun(home)
    factory = make_session_factory(make_engine(url))
    archive = Archive(factory, LocalFolderArchive(home / "archive"), RetentionPolicy())
    _add_events(factory)

    assert "segment 1" in _cli(cli, "export-audit-log")
    segment_path, seal_path = _write_pair(archive, tmp_path)
    assert "seal valid" in _cli(cli, "verify-audit-log", str(segment_path), str(seal_path))

    _add_events(factory, 1)
    assert "segment 2" in _cli(cli, "export-audit-log", "--no-seal")
    with factory() as s:
        assert len(find(s, document_type="audit_log")) == 2
        assert len(find(s, document_type="audit_log_seal")) == 1
        second_id = max(row.id for row in find(s, document_type="audit_log"))
    second = get_document(archive, second_id)[1]
    first_sha256 = hashlib.sha256(segment_path.read_bytes()).hexdigest()
    assert check_segment(second, previous_sha256=first_sha256) == []  # the chain still holds

    # `--previous` checks the link between segments: segment 1 does not follow itself
    failed = cli("archive", "verify-audit-log", str(segment_path), str(seal_path),
                 "--previous", str(segment_path), lang="en")
    assert isinstance(failed.exception, IntegrityFailure)
    assert "does not follow the given previous segment" in failed.output
