"""Reversibility: a customer's archive as one zip anyone can check offline.

Contents: `documents/<key>` (the archived bytes, each hash-checked on the way out),
`metadata.json` and `metadata.csv` (one entry per document), `audit_events.jsonl` (the
customer's audit events with their chain hashes) and `MANIFEST.sha256` (`sha256sum` format over
every other file). `verify_bundle` needs only the zip: manifest, document hashes against the
metadata, and every audit event's hash recomputed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dossiers.archive.archive import Archive
from dossiers.archive.errors import DocumentIntegrityFailure
from dossiers.archive.jsonl import check_events, dumps_line, event_to_dict
from dossiers.archive.models import ArchivedDocument
from dossiers.archive.retrieval import check_object, find, record_failure
from dossiers.audit import AuditEvent, record
from dossiers.db import transaction
from dossiers.errors import NotFound, ValidationError

MANIFEST = "MANIFEST.sha256"
FIELDS = ("id", "document_type", "document_id", "document_number", "customer_id", "issue_date",
          "key", "version_id", "sha256", "size", "content_type", "retention_class",
          "retain_until", "legal_hold", "archived_at", "path")


def describe(row: ArchivedDocument) -> dict[str, Any]:
    return {
        "id": row.id, "document_type": row.document_type, "document_id": row.document_id,
        "document_number": row.document_number, "customer_id": row.customer_id,
        "issue_date": row.issue_date.isoformat(), "key": row.key, "version_id": row.version_id,
        "sha256": row.sha256, "size": row.size, "content_type": row.content_type,
        "retention_class": row.retention_class, "retain_until": row.retain_until.isoformat(),
        "legal_hold": row.legal_hold,
        "archived_at": row.archived_at.isoformat() if row.archived_at else None,
        "path": f"documents/{row.key}",
    }


def _csv(entries: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(entries)
    return buffer.getvalue().encode()


def export_customer(archive: Archive, customer_id: int, destination: Path,
                    actor: str = "system") -> Path:
    """Write the customer's zip to `destination` (atomically); refuse if any hash mismatches."""
    files: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    with archive.db() as session:
        rows = find(session, customer_id=customer_id)
        events = list(session.scalars(
            select(AuditEvent).where(AuditEvent.customer_id == customer_id).order_by(AuditEvent.seq)
        ))
    if not rows and not events:
        raise NotFound(f"Rien d'archivé pour le client {customer_id}.",
                       f"Nothing archived for customer {customer_id}.")
    for row in rows:
        body, problem = check_object(archive, row)
        if problem is not None or body is None:
            assert problem is not None
            record_failure(archive, row, problem, actor)
            raise DocumentIntegrityFailure(row.key, row.sha256, problem.actual)
        entry = describe(row)
        files[entry["path"]] = body
        entries.append(entry)
    files["metadata.json"] = json.dumps(entries, indent=2, ensure_ascii=False).encode()
    files["metadata.csv"] = _csv(entries)
    files["audit_events.jsonl"] = "".join(dumps_line(event_to_dict(e)) for e in events).encode()
    manifest = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                       for name, data in sorted(files.items()))
    files[MANIFEST] = manifest.encode()

    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(files.items()):
            bundle.writestr(name, data)
    os.replace(partial, destination)
    with transaction(archive.db) as session:
        record(session, "archive.exported", subject_type="customer", subject_id=customer_id,
               actor=actor, customer_id=customer_id,
               data={"documents": [row.id for row in rows], "events": len(events),
                     "manifest_sha256": hashlib.sha256(files[MANIFEST]).hexdigest()})
    return destination


@dataclass
class BundleReport:
    documents: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(path: Path) -> BundleReport:
    """Check an export offline; every problem is listed (an empty list means intact)."""
    report = BundleReport()
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"Archive d'export illisible : {path} ({exc}).",
                              f"Unreadable export file: {path} ({exc}).") from exc
    with bundle:
        names = set(bundle.namelist())
        if MANIFEST not in names:
            return BundleReport(problems=[f"{MANIFEST} is missing"])
        listed: dict[str, str] = {}
        for line in bundle.read(MANIFEST).decode().splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        for name in sorted(names - {MANIFEST} - set(listed)):
            report.problems.append(f"{name} is not listed in the manifest")
        for name, digest in sorted(listed.items()):
            if name not in names:
                report.problems.append(f"{name} is listed but missing")
            elif hashlib.sha256(bundle.read(name)).hexdigest() != digest:
                report.problems.append(f"{name} does not match its manifest hash")
        if "metadata.json" in names:
            for entry in json.loads(bundle.read("metadata.json")):
                report.documents += 1
                if entry["path"] not in names:
                    report.problems.append(f"{entry['path']} is missing")
                elif hashlib.sha256(bundle.read(entry["path"])).hexdigest() != entry["sha256"]:
                    report.problems.append(f"{entry['path']} does not match its archived SHA-256")
        if "audit_events.jsonl" in names:
            lines = [json.loads(line) for line in
                     bundle.read("audit_events.jsonl").decode().splitlines() if line.strip()]
            report.events = len(lines)
            report.problems.extend(check_events(lines, contiguous=False))
    return report
