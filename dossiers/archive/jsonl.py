"""Audit events as JSON lines that can be checked offline, without the database.

Each line carries every field of the canonical content plus the event's hash, so anyone can
recompute `sha256(canonical_content(...))` and, for a contiguous run, follow the `prev_hash`
links. Used by the periodic audit-log segments and by the customer export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dossiers.audit import AuditEvent, canonical_content

_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).strftime(_ISO),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "customer_id": event.customer_id,
        "data": event.data or {},
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def dumps_line(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def recompute_hash(line: dict[str, Any]) -> str:
    occurred_at = datetime.strptime(line["occurred_at"], _ISO).replace(tzinfo=UTC)
    return hashlib.sha256(canonical_content(
        seq=line["seq"], occurred_at=occurred_at, actor=line["actor"], action=line["action"],
        subject_type=line["subject_type"], subject_id=line["subject_id"],
        customer_id=line["customer_id"], data=line["data"], prev_hash=line["prev_hash"],
    )).hexdigest()


def check_events(events: Iterable[dict[str, Any]], *, contiguous: bool,
                 first_prev_hash: str | None = None) -> list[str]:
    """Problems found: edited events and, for a contiguous run, broken or missing links."""
    problems: list[str] = []
    previous_hash, previous_seq = first_prev_hash, None
    for line in events:
        try:
            if recompute_hash(line) != line["hash"]:
                problems.append(f"event #{line['seq']} ({line['action']}) was modified")
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(f"event line unreadable: {exc!r}")
            continue
        if contiguous:
            if previous_hash is not None and line["prev_hash"] != previous_hash:
                problems.append(f"event #{line['seq']} does not link to the event before it")
            if previous_seq is not None and line["seq"] != previous_seq + 1:
                problems.append(f"event #{line['seq']} follows #{previous_seq}: events missing")
        previous_hash, previous_seq = line["hash"], line["seq"]
    return problems
