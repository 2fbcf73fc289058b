"""Issue 14 item 4: the audit chain alone is plain SHA-256, so whoever can write the database can
edit an event, recompute every later hash with the public `event_hash` and move the chain head:
the chain then verifies. The sealed segments archived write-once are the anchors `liasse audit
verify` checks the database against, and segments are linked by content, not only by file hash.

Embedded defaults (SQLite file, local archive folder, demo PKI under LIASSE_HOME), through the
real CLI in-process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from application.schema import migrate
from connectors.archive import LocalFolderArchive
from dossiers.archive import Archive, RetentionPolicy, check_segment, find, get_document
from dossiers.archive.jsonl import dumps_line, recompute_hash
from dossiers.archive.models import AuditLogSegment
from dossiers.audit import AuditChainHead, AuditEvent, record, verify
from dossiers.audit.chain import event_hash
from dossiers.db import make_engine, make_session_factory, transaction
from dossiers.errors import IntegrityFailure
from liasse.cli import environment
from liasse.cli.main import root
from signing.cades import seal_bytes


@dataclass
class Home:
    path: Path
    db: sessionmaker[Session]
    archive: Archive


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    for name in ("LIASSE_TRUST_ROOTS", "LIASSE_SEAL_CERT", "LIASSE_TSA_URL",
                 "LIASSE_SIGNING_CA_CERT", "LIASSE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("LIASSE_HOME", str(path))
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "local")
    monkeypatch.setenv("COLUMNS", "250")
    environment.clear_caches()
    url = f"sqlite:///{(path / 'liasse.db').resolve()}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    yield Home(path, factory, Archive(factory, LocalFolderArchive(path / "archive"),
                                      RetentionPolicy()))
    environment.clear_caches()


def _events(db: sessionmaker[Session], count: int) -> None:
    with transaction(db) as s:
        for n in range(count):
            record(s, "customer.updated", subject_type="customer", subject_id=n,
                   actor="n.faure", data={"n": n})


def _liasse(*args: str) -> Any:
    result = CliRunner().invoke(root, ["--lang", "en", *args])
    result.text = " ".join(result.output.split())
    return result


def _export(expected_segment: int) -> None:
    result = _liasse("archive", "export-audit-log")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"segment {expected_segment}" in result.text


def _rewrite(db: sessionmaker[Session], seq: int, **changes: Any) -> None:
    """What an attacker with write access to the database does: edit one event, recompute every
    later hash with the public `event_hash`, update `audit_chain_head`."""
    with transaction(db) as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        previous = events[seq - 2].hash if seq > 1 else "0" * 64
        for event in events[seq - 1:]:
            if event.seq == seq:
                for name, value in changes.items():
                    setattr(event, name, value)
            event.prev_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
        head = s.get_one(AuditChainHead, 1)
        head.last_seq, head.last_hash = events[-1].seq, previous


def _last_seq(db: sessionmaker[Session], number: int) -> int:
    with db() as s:
        return s.scalars(select(AuditLogSegment.last_seq)
                         .where(AuditLogSegment.number == number)).one()


def test_audit_verify_catches_a_recomputed_chain_against_the_sealed_segments(home: Home) -> None:
    _events(home.db, 60)
    _export(1)
    _events(home.db, 3)
    _export(2)
    _events(home.db, 2)
    anchored = _last_seq(home.db, 2)
    with home.db() as s:
        total = s.scalar(select(func.count()).select_from(AuditEvent))
    ok = _liasse("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert (f"{anchored} anchored in 2 archived segment(s) (2 sealed, up to #{anchored}), "
            f"{total - anchored} after the last segment, not yet anchored") in ok.text

    _rewrite(home.db, 52, actor="mallory", data={"n": 51, "forged": True})
    with home.db() as s:
        assert verify(s).ok  # the database's chain alone no longer tells
    bad = _liasse("audit", "verify")
    assert isinstance(bad.exception, IntegrityFailure), bad.output
    assert "event #52 (segment 1) differs from its archived copy (actor, data, hash)" in bad.text
    assert "event #53 (segment 1) differs" in bad.text  # every recomputed hash after it too


def test_removing_the_last_anchored_events_and_the_head_is_caught(home: Home) -> None:
    _events(home.db, 5)
    _export(1)
    last = _last_seq(home.db, 1)
    with transaction(home.db) as s:  # delete from the last anchored event on, move the head back
        s.execute(delete(AuditEvent).where(AuditEvent.seq >= last))
        kept = s.scalars(select(AuditEvent).where(AuditEvent.seq == last - 1)).one()
        head = s.get_one(AuditChainHead, 1)
        head.last_seq, head.last_hash = kept.seq, kept.hash
    with home.db() as s:
        assert verify(s).ok
    bad = _liasse("audit", "verify")
    assert isinstance(bad.exception, IntegrityFailure), bad.output
    assert f"event #{last} (segment 1) is missing from the database" in bad.text
    assert (f"the chain head records event #{last - 1} but the archived segments go up to "
            f"#{last}") in bad.text


def _archived(archive: Archive, document_type: str) -> list[bytes]:
    with archive.db() as s:
        ids = sorted(row.id for row in find(s, document_type=document_type))
    return [get_document(archive, record_id)[1] for record_id in ids]


def _forge_link(segment: bytes) -> bytes:
    """Segment 2 made to follow another history: a new previous-event hash, the events inside
    re-chained from it and re-hashed, so the segment is consistent on its own."""
    header, *events = [json.loads(line) for line in segment.splitlines()]
    header["previous_event_hash"] = previous = "ab" * 32
    lines = [dumps_line(header)]
    for event in events:
        event["prev_hash"] = previous
        event["hash"] = previous = recompute_hash(event)
        lines.append(dumps_line(event))
    return "".join(lines).encode()


def test_segments_are_linked_by_content_and_export_refuses_a_rewritten_chain(
    home: Home, tmp_path: Path
) -> None:
    _events(home.db, 4)
    _export(1)
    _events(home.db, 2)
    _export(2)
    first, second = _archived(home.archive, "audit_log")
    forged = _forge_link(second)
    assert check_segment(forged) == []  # consistent on its own, same previous file hash
    seal = seal_bytes(forged, environment.services().seal)  # sealed by whoever holds the seal
    paths = {}
    for name, content in (("seg1.jsonl", first), ("seg2.jsonl", forged), ("seg2.seal", seal)):
        paths[name] = tmp_path / name
        paths[name].write_bytes(content)
    result = _liasse("archive", "verify-audit-log", str(paths["seg2.jsonl"]),
                     str(paths["seg2.seal"]), "--previous", str(paths["seg1.jsonl"]))
    assert isinstance(result.exception, IntegrityFailure), result.output
    assert "is not the hash of the last event of segment 1" in result.text
    assert any("rewritten" in p for p in check_segment(forged, previous=first))
    assert check_segment(second, previous=first) == []

    # An export never seals a segment that does not continue the last archived one.
    _rewrite(home.db, 3, actor="mallory")
    _events(home.db, 1)
    refused = _liasse("archive", "export-audit-log")
    assert isinstance(refused.exception, IntegrityFailure), refused.output
    assert "no longer continues the last archived segment" in refused.exception.en
    assert len(_archived(home.archive, "audit_log")) == 2
