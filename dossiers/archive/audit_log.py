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

Anchors: the database's chain alone is plain SHA-256, so whoever can write the database can edit
an event and recompute every later hash and the head. The archived segments cannot be rewritten
(write-once store, sealed, timestamped): `verify_anchors` (run by `liasse audit verify`) reads
them from the store and checks the database against them, event by event, and checks each
segment's link to the one before by content. An export refuses to seal a segment that does not
continue the last archived one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import func, select

from dossiers.archive.archive import Archive
from dossiers.archive.archiving import archive_document
from dossiers.archive.errors import DocumentIntegrityFailure
from dossiers.archive.jsonl import check_events, dumps_line, event_to_dict
from dossiers.archive.models import ArchivedDocument, AuditLogSegment
from dossiers.archive.retrieval import check_object, record_failure
from dossiers.archive.store import ObjectMissing
from dossiers.audit import AuditChainHead, AuditEvent, record
from dossiers.audit.models import GENESIS_HASH
from dossiers.db import transaction
from dossiers.errors import IntegrityFailure

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
        before = session.scalars(select(AuditLogSegment).where(
            AuditLogSegment.number == row.number - 1)).one_or_none()
    if before is not None and before.archived_document_id is not None:
        _refuse_a_rewritten_chain(archive, before.archived_document_id, content, actor)
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


def _refuse_a_rewritten_chain(archive: Archive, previous_id: int, content: bytes,
                              actor: str) -> None:
    """Never seal a segment that does not continue the archived one before it: the events the
    previous segment holds were changed in the database since it was exported."""
    with archive.db() as session:
        row = session.get_one(ArchivedDocument, previous_id)
    previous, damaged = check_object(archive, row)
    if damaged is not None or previous is None:
        assert damaged is not None
        record_failure(archive, row, damaged, actor)
        raise DocumentIntegrityFailure(row.key, row.sha256, damaged.actual)
    problems = link_problems(previous, content)
    if problems:
        raise IntegrityFailure(
            "le journal d'audit ne prolonge plus le dernier segment archivé, rien n'est "
            f"exporté : {problems[0]}",
            "the audit trail no longer continues the last archived segment, nothing was "
            f"exported: {problems[0]}",
        )


def check_segment(content: bytes, previous_sha256: str | None = None, *,
                  previous: bytes | None = None) -> list[str]:
    """Offline check of one segment file: header, event hashes, links, previous segment.

    `previous` (the previous segment's file) checks the link by content too (`link_problems`):
    the file hash the header names, and that this segment's first event follows the last event
    inside the previous one.
    """
    try:
        lines = [json.loads(line) for line in content.decode().split("\n") if line.strip()]
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
    if previous is not None:
        problems += link_problems(previous, content)
    return problems


# --- the archived segments as anchors of the database's chain ---------------------------------
SEGMENT_PREFIX = "audit_log/"
SEAL_PREFIX = "audit_log_seal/"
SealCheck = Callable[[bytes, bytes], Sequence[str]]
"""`(segment bytes, seal bytes) -> problems`: the CLI passes `signing.cades.verify_detached`
against the trust roots (the domain does not import `signing`)."""


@dataclass(frozen=True)
class ParsedSegment:
    header: dict[str, Any]
    lines: list[bytes]  # each event line exactly as archived, without its newline
    events: list[dict[str, Any]]

    @property
    def number(self) -> int:
        return int(self.header["segment"])

    @property
    def last_event_hash(self) -> str:
        return str(self.events[-1]["hash"] if self.events else self.header["previous_event_hash"])


def parse_segment(content: bytes) -> ParsedSegment:
    """Header and event lines of a segment file; `ValueError` if it is not one."""
    raw = [line for line in content.split(b"\n") if line.strip()]
    try:
        parsed = [json.loads(line) for line in raw]
    except ValueError as exc:  # not UTF-8, or a line that is not JSON
        raise ValueError(f"unreadable segment: {exc}") from exc
    if not parsed or not isinstance(parsed[0], dict) or parsed[0].get("format") != SEGMENT_FORMAT:
        raise ValueError("not a Liasse audit-log segment")
    header = parsed[0]
    for name in ("segment", "first_seq", "last_seq", "previous_event_hash",
                 "previous_segment_sha256"):
        if name not in header:
            raise ValueError(f"segment header without {name}")
    if not all(isinstance(e, dict) and isinstance(e.get("seq"), int) for e in parsed[1:]):
        raise ValueError("segment event line without a sequence number")
    return ParsedSegment(header, raw[1:], parsed[1:])


def link_problems(previous: bytes, content: bytes) -> list[str]:
    """Does `content` follow `previous`? By file hash and by content: its previous event hash
    is the hash of the last event inside `previous`, its first event the next number."""
    try:
        before, after = parse_segment(previous), parse_segment(content)
    except ValueError as exc:
        return [str(exc)]
    problems: list[str] = []
    if after.header["previous_segment_sha256"] != hashlib.sha256(previous).hexdigest():
        problems.append("segment does not follow the given previous segment (file hash)")
    if after.header["previous_event_hash"] != before.last_event_hash:
        problems.append(
            f"segment {after.number}: its previous event hash "
            f"{after.header['previous_event_hash'][:16]}… is not the hash of the last event of "
            f"segment {before.number} (#{before.header['last_seq']}, "
            f"{before.last_event_hash[:16]}…): the events between them were rewritten")
    if after.header["first_seq"] != before.header["last_seq"] + 1:
        problems.append(f"segment {after.number} starts at #{after.header['first_seq']}, "
                        f"segment {before.number} ends at #{before.header['last_seq']}")
    if after.number != before.number + 1:
        problems.append(f"segment {after.number} does not come right after segment "
                        f"{before.number}")
    return problems


@dataclass
class AnchorReport:
    """`audit verify` against the archived segments."""

    segments: int = 0
    sealed: int = 0
    seals_checked: bool = False
    anchored: int = 0  # events covered by an archived segment, each compared with the database
    last_anchored_seq: int = 0
    not_yet_anchored: int = 0  # events of the database after the last archived segment
    unsealed: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _seal_key(segment_key: str) -> str:
    stem = segment_key[len(SEGMENT_PREFIX):].removesuffix(".jsonl")
    return f"{SEAL_PREFIX}{stem}-SEAL.seal"


def _archived_segments(archive: Archive, report: AnchorReport) -> dict[int, tuple[str, bytes]]:
    """Every segment file in the store (not in the database: a database edit cannot hide one)."""
    found: dict[int, tuple[str, bytes]] = {}
    keys: dict[str, list[str]] = {}
    for ref in archive.store.iter_versions(SEGMENT_PREFIX):
        if ref.key.endswith(".jsonl"):
            keys.setdefault(ref.key, []).append(ref.version_id)
    for key, versions in sorted(keys.items()):
        bodies = {archive.store.get(key, version).body for version in versions}
        if len(bodies) > 1:
            report.problems.append(f"{key}: {len(bodies)} different versions in the archive")
        for body in bodies:
            try:
                number = parse_segment(body).number
            except ValueError as exc:
                report.problems.append(f"{key}: {exc}")
                continue
            if number in found and found[number][1] != body:
                report.problems.append(f"segment {number} archived twice with other content")
            found.setdefault(number, (key, body))
    return found


def verify_anchors(archive: Archive, check_seal: SealCheck | None = None) -> AnchorReport:
    """Check the database's audit trail against the segments archived (write-once) in the store.

    For each segment, in order: its own chain, its seal (`check_seal`; without it seals are
    not checked, and the report says so), its link to the previous segment by content, and
    every event it holds against the database line for line (same bytes, so same hashes). The
    chain head must not be behind the last segment. Recomputing the database's chain after an
    edit, or removing events and moving the head back, is caught for every event already
    exported; the events after the last segment are counted as not yet anchored.
    """
    report = AnchorReport(seals_checked=check_seal is not None)
    segments = _archived_segments(archive, report)
    report.segments = len(segments)
    with archive.db() as session:
        recorded = {row.number: row for row in session.scalars(
            select(AuditLogSegment).where(AuditLogSegment.archived_document_id.is_not(None)))}
    for number, row in sorted(recorded.items()):
        if number not in segments:
            report.problems.append(f"segment {number} (#{row.first_seq}-#{row.last_seq}) is "
                                   "recorded as archived but missing from the archive")
        elif hashlib.sha256(segments[number][1]).hexdigest() != row.sha256:
            report.problems.append(f"segment {number}: the archived file differs from the "
                                   "hash recorded in the database")
    previous: bytes | None = None
    for expected, number in enumerate(sorted(segments), start=1):
        key, content = segments[number]
        if number != expected:
            report.problems.append(f"segment {expected} is missing from the archive "
                                   f"(found segment {number} next)")
        report.problems += [f"segment {number}: {p}" for p in check_segment(content)]
        if previous is None:
            header = parse_segment(content).header
            if number == 1 and (header["previous_event_hash"] != GENESIS_HASH
                                or header["first_seq"] != 1):
                report.problems.append("segment 1 does not start the chain")
        else:
            report.problems += link_problems(previous, content)
        _check_seal(archive, report, number, key, content, check_seal)
        _compare_with_database(archive, report, number, content)
        previous = content
    with archive.db() as session:
        head = session.get(AuditChainHead, 1)
        head_seq = head.last_seq if head is not None else 0
        after = session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.seq > report.last_anchored_seq)) or 0
    if head_seq < report.last_anchored_seq:
        report.problems.append(
            f"the chain head records event #{head_seq} but the archived segments go up to "
            f"#{report.last_anchored_seq}: events were removed and the head moved back")
    report.not_yet_anchored = after
    return report


def _check_seal(archive: Archive, report: AnchorReport, number: int, key: str, content: bytes,
                check_seal: SealCheck | None) -> None:
    try:
        seal = archive.store.get(_seal_key(key)).body
    except ObjectMissing:
        report.unsealed.append(number)
        return
    if check_seal is None:
        return
    problems = list(check_seal(content, seal))
    report.problems += [f"segment {number}: seal: {p}" for p in problems]
    if not problems:
        report.sealed += 1


def _compare_with_database(archive: Archive, report: AnchorReport, number: int,
                           content: bytes) -> None:
    try:
        parsed = parse_segment(content)
    except ValueError:
        return  # already reported
    first, last = int(parsed.header["first_seq"]), int(parsed.header["last_seq"])
    with archive.db() as session:
        stored = {event.seq: event for event in session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= first, AuditEvent.seq <= last))}
    for line, event in zip(parsed.lines, parsed.events, strict=True):
        seq = event["seq"]
        current = stored.get(seq)
        if current is None:
            report.problems.append(f"event #{seq} (segment {number}) is missing from the "
                                   "database")
            continue
        if dumps_line(event_to_dict(current)).encode().rstrip(b"\n") != line:
            in_db = event_to_dict(current)
            fields = sorted(k for k in set(in_db) | set(event) if in_db.get(k) != event.get(k))
            report.problems.append(
                f"event #{seq} (segment {number}) differs from its archived copy "
                f"({', '.join(fields) or 'encoding'}): it was changed after it was exported")
    report.anchored += len(parsed.events)
    report.last_anchored_seq = max(report.last_anchored_seq, last)
