"""Periodic export of the audit trail into the archive (the NF Z42-013 lifecycle-log practice).

Each run writes the events since the previous segment as a JSON-lines file — a header line, then
one line per event with its chain hashes — and archives it as a document of type `audit_log`
(10 years). The header names the SHA-256 of the previous segment file and the hash of the last
event before this segment, so the archived segments form a chain that can be checked without the
database (`check_segment`).

Sealing: `seal_pdf` cannot seal a JSONL file. `export_audit_segment(seal=...)` takes a hook
`(segment bytes) -> seal bytes` — the flow and the CLI pass `signing.cades.seal_bytes`, a CAdES
detached signature by the company seal with an RFC 3161 timestamp; its output is archived next to
the segment as type `audit_log_seal` (`liasse archive verify-audit-log` checks both offline).
The segment row is written before the archive call and its content is rebuilt identically from
the database, so an interrupted export is resumed, never duplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select

from dossiers.archive.archive import Archive
from dossiers.archive.archiving import archive_document
from dossiers.archive.jsonl import check_events, dumps_line, event_to_dict
from dossiers.archive.models import AuditLogSegment
from dossiers.audit import AuditEvent, record
from dossiers.audit.models import GENESIS_HASH
from dossiers.db import transaction

SealHook = Callable[[bytes], bytes]
SEGMENT_FORMAT = "liasse.audit_log_segment/1"


@dataclass(frozen=True)
class ExportedSegment:
    segment: AuditLogSegment
    content: bytes


def _build(session: Any, row: AuditLogSegment) -> bytes:
    events = list(session.scalars(
        select(AuditEvent).where(AuditEvent.seq >= row.first_seq, AuditEvent.seq <= row.last_seq)
        .order_by(AuditEvent.seq)
    ))
    header = {
        "format": SEGMENT_FORMAT,
        "segment": row.number,
        "first_seq": row.first_seq,
        "last_seq": row.last_seq,
        "event_count": len(events),
        "previous_segment_sha256": row.previous_sha256,
        "previous_event_hash": events[0].prev_hash if events else GENESIS_HASH,
        "exported_at": row.exported_at.astimezone(UTC).isoformat(),
    }
    lines = [dumps_line(header)] + [dumps_line(event_to_dict(event)) for event in events]
    return "".join(lines).encode()


def _open_segment(archive: Archive, max_events: int | None, actor: str) -> AuditLogSegment | None:
    """The unfinished segment to resume, or a new one over the events not yet exported."""
    with transaction(archive.db) as session:
        last = session.scalars(
            select(AuditLogSegment).order_by(AuditLogSegment.number.desc()).limit(1)
        ).one_or_none()
        if last is not None and last.archived_document_id is None:
            return last
        after = last.last_seq if last else 0
        query = select(AuditEvent.seq).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
        if max_events:
            query = query.limit(max_events)
        seqs = list(session.scalars(query))
        if not seqs:
            return None
        row = AuditLogSegment(
            number=(last.number + 1) if last else 1, first_seq=seqs[0], last_seq=seqs[-1],
            previous_sha256=last.sha256 if last else GENESIS_HASH, sha256="",
            exported_at=archive.clock(),
        )
        session.add(row)
        session.flush()
        row.sha256 = hashlib.sha256(_build(session, row)).hexdigest()
        record(session, "archive.audit_log_segment_created", subject_type="audit_log_segment",
               subject_id=row.number, actor=actor,
               data={"first_seq": row.first_seq, "last_seq": row.last_seq,
                     "sha256": row.sha256, "previous_sha256": row.previous_sha256})
        return row


def export_audit_segment(
    archive: Archive, *, seal: SealHook | None = None, max_events: int | None = None,
    actor: str = "system",
) -> ExportedSegment | None:
    """Archive the audit events since the last segment; None when there is nothing new."""
    row = _open_segment(archive, max_events, actor)
    if row is None:
        return None
    with archive.db() as session:
        content = _build(session, session.get_one(AuditLogSegment, row.id))
    number = f"AUDIT-{row.number:06d}"
    issued = row.exported_at.date()
    document = archive_document(
        archive, document_type="audit_log", document_id=f"segment-{row.number}",
        document_number=number, issue_date=issued, content=content,
        content_type="application/x-ndjson", extension=".jsonl", actor=actor,
    )
    if seal is not None:
        archive_document(
            archive, document_type="audit_log_seal", document_id=f"segment-{row.number}",
            document_number=f"{number}-SEAL", issue_date=issued, content=seal(content),
            content_type="application/octet-stream", extension=".seal", actor=actor,
        )
    with transaction(archive.db) as session:
        current = session.get_one(AuditLogSegment, row.id)
        current.archived_document_id = document.id
        record(session, "archive.audit_log_exported", subject_type="audit_log_segment",
               subject_id=row.number, actor=actor,
               data={"archived_document_id": document.id, "sha256": row.sha256})
    return ExportedSegment(current, content)


def check_segment(content: bytes, previous_sha256: str | None = None) -> list[str]:
    """Offline check of one segment file: header, event hashes, links, previous segment."""
    try:
        lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
    except ValueError as exc:  # not UTF-8, or a line that is not JSON: tampered or truncated
        return [f"unreadable segment: {exc}"]
    if not lines or not isinstance(lines[0], dict) or lines[0].get("format") != SEGMENT_FORMAT:
        return ["not a Liasse audit-log segment"]
    header, events = lines[0], lines[1:]
    problems = check_events(events, contiguous=True,
                            first_prev_hash=header["previous_event_hash"])
    if len(events) != header["event_count"]:
        problems.append(f"header announces {header['event_count']} events, found {len(events)}")
    if previous_sha256 is not None and header["previous_segment_sha256"] != previous_sha256:
        problems.append("segment does not follow the given previous segment")
    return problems
