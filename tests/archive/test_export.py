"""Reversibility and the archived lifecycle log, both checkable without the database."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from dossiers.archive import (
    Archive,
    archive_document,
    check_segment,
    export_audit_segment,
    export_customer,
    get_document,
    verify_bundle,
)
from dossiers.archive.audit_log import SEGMENT_FORMAT
from dossiers.archive.models import AuditLogSegment
from dossiers.audit import AuditEvent, record
from dossiers.db import transaction
from dossiers.errors import IntegrityFailure

from .support import add_customer, corrupt_object


def _two_documents(archive: Archive, customer_id: int) -> None:
    today = archive.clock().date()
    for number, doc_type in (("F-2026-0001", "invoice"), ("CT-7", "contract")):
        archive_document(archive, document_type=doc_type, document_id=number,
                         document_number=number, issue_date=today, customer_id=customer_id,
                         content=f"%PDF {number}".encode())


def test_customer_export_is_complete_and_verifies_offline(archive: Archive,
                                                          tmp_path: Path) -> None:
    customer_id = add_customer(archive.db)
    other = add_customer(archive.db, "C000043")
    _two_documents(archive, customer_id)
    archive_document(archive, document_type="invoice", document_id="X", document_number="X-1",
                     issue_date=archive.clock().date(), customer_id=other, content=b"%PDF x")
    path = export_customer(archive, customer_id, tmp_path / "out" / "c42.zip")

    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        metadata = json.loads(bundle.read("metadata.json"))
        csv_lines = bundle.read("metadata.csv").decode().splitlines()
        events = [json.loads(line) for line in bundle.read("audit_events.jsonl").splitlines()]
    year = archive.clock().year
    assert names == {"MANIFEST.sha256", "metadata.json", "metadata.csv", "audit_events.jsonl",
                     f"documents/invoice/{year}/F-2026-0001.pdf",
                     f"documents/contract/{year}/CT-7.pdf"}
    assert {m["document_number"] for m in metadata} == {"F-2026-0001", "CT-7"}
    assert len(csv_lines) == 3
    assert events and all(e["customer_id"] == customer_id for e in events)
    assert all("hash" in e and "prev_hash" in e for e in events)

    report = verify_bundle(path)
    assert report.ok, report.problems
    assert (report.documents, report.events) == (2, len(events))
    with archive.db() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == "archive.exported"


def test_tampered_export_is_detected(archive: Archive, tmp_path: Path) -> None:
    customer_id = add_customer(archive.db)
    _two_documents(archive, customer_id)
    path = export_customer(archive, customer_id, tmp_path / "c42.zip")
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("F-2026-0001.pdf"):
                data = b"%PDF forged"
            if item.filename == "audit_events.jsonl":
                data = data.replace(b"archive.deposited", b"archive.dePosited", 1)
            target.writestr(item, data)
    problems = verify_bundle(forged).problems
    assert any("F-2026-0001.pdf does not match its manifest" in p for p in problems)
    assert any("F-2026-0001.pdf does not match its archived SHA-256" in p for p in problems)
    assert any("was modified" in p for p in problems)


def test_export_refuses_a_corrupted_document_and_writes_nothing(archive: Archive,
                                                                 tmp_path: Path) -> None:
    customer_id = add_customer(archive.db)
    _two_documents(archive, customer_id)
    with archive.db() as s:
        from dossiers.archive import find

        row = find(s, customer_id=customer_id)[0]
    assert row.version_id is not None
    corrupt_object(archive.backend, row.key, row.version_id, b"%PDF rot")
    with pytest.raises(IntegrityFailure):
        export_customer(archive, customer_id, tmp_path / "c42.zip")
    assert list(tmp_path.glob("c42.zip*")) == []


def test_audit_log_segments_chain_and_verify_offline(archive: Archive) -> None:
    with transaction(archive.db) as s:
        for i in range(3):
            record(s, "demo.event", subject_type="demo", subject_id=i, data={"i": i})
    first = export_audit_segment(archive)
    assert first is not None
    header = json.loads(first.content.splitlines()[0])
    assert header["format"] == SEGMENT_FORMAT and header["previous_segment_sha256"] == "0" * 64
    assert (first.segment.first_seq, first.segment.last_seq) == (1, 3)
    assert check_segment(first.content) == []

    second = export_audit_segment(archive)  # the events the first export itself produced
    assert second is not None
    assert second.segment.first_seq == first.segment.last_seq + 1
    assert check_segment(second.content, previous_sha256=first.segment.sha256) == []
    assert check_segment(second.content, previous_sha256="f" * 64) != []

    # The segment is an ordinary archived document: retrievable with its hash checked.
    assert first.segment.archived_document_id is not None
    row, body = get_document(archive, first.segment.archived_document_id)
    assert body == first.content and row.document_type == "audit_log"
    assert row.retention_class == "commercial_10y"

    forged = first.content.replace(b'"demo.event"', b'"demo.EVENT"', 1)
    assert any("was modified" in p for p in check_segment(forged))


def test_audit_log_seal_hook_archives_the_seal(archive: Archive) -> None:
    with transaction(archive.db) as s:
        record(s, "demo.event", subject_type="demo", subject_id=1)
    sealed: list[bytes] = []

    def seal(content: bytes) -> bytes:
        sealed.append(content)
        return b"SEAL:" + content[:10]

    exported = export_audit_segment(archive, seal=seal)
    assert exported is not None and sealed == [exported.content]
    with archive.db() as s:
        from dossiers.archive import find

        seals = find(s, document_type="audit_log_seal")
        assert [r.document_number for r in seals] == ["AUDIT-000001-SEAL"]
        assert s.scalar(select(AuditLogSegment.number)) == 1
