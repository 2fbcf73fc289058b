"""Canonical hashing and verification of the audit chain.

The canonical content is a JSON document with sorted keys and no whitespace, so the hash does not
depend on the database backend or on dictionary order. Timestamps are written as ISO 8601 UTC
with microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    customer_id: int | None,
    data: dict[str, Any],
    prev_hash: str,
) -> bytes:
    payload = {
        "seq": seq,
        "occurred_at": _iso(occurred_at),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "customer_id": customer_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        canonical_content(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            customer_id=event.customer_id,
            data=event.data or {},
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: str  # "edited" | "broken_link" | "missing_or_reordered" | "truncated"
    detail: str


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_events(events: Iterable[AuditEvent], head: AuditChainHead | None = None) -> ChainReport:
    """Walk events in `seq` order; report every break, naming the event where it shows."""
    report = ChainReport()
    expected_seq = 1
    previous_hash = GENESIS_HASH
    for event in events:
        report.checked += 1
        if event.seq != expected_seq:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    "missing_or_reordered",
                    f"event #{event.seq} found where #{expected_seq} was expected "
                    "(an event was removed or the order changed)",
                )
            )
        if event.prev_hash != previous_hash:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    "broken_link",
                    f"event #{event.seq} does not point to the hash of the event before it",
                )
            )
        recomputed = event_hash(event)
        if recomputed != event.hash:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    "edited",
                    f"event #{event.seq} ({event.action}) was modified after it was recorded",
                )
            )
        previous_hash = event.hash
        expected_seq = event.seq + 1
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != previous_hash):
        report.problems.append(
            ChainProblem(
                head.last_seq,
                "truncated",
                f"the chain head records event #{head.last_seq} but the trail ends at "
                f"#{expected_seq - 1} (events were removed from the end or the head was changed)",
            )
        )
    return report


def verify(session: Session, batch_size: int = 5000) -> ChainReport:
    head = session.get(AuditChainHead, 1)
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    )
    return verify_events(events, head)
