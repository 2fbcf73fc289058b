"""Appending events to the chain, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit.chain import event_hash
from dossiers.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from dossiers.db import for_update, utcnow


def _lock_head(session: Session) -> AuditChainHead:
    query = select(AuditChainHead).where(AuditChainHead.id == 1)
    if for_update(session):
        query = query.with_for_update()
    head = session.scalars(query).one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    action: str,
    *,
    subject_type: str,
    subject_id: str | int,
    actor: str = "system",
    customer_id: int | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event. Commits with the caller's transaction, or vanishes with its rollback.

    The chain head row is locked for the rest of the transaction, so appends are serialised: two
    concurrent transactions never fork the chain.
    """
    head = _lock_head(session)
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=at or utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        customer_id=customer_id,
        data=dict(data or {}),
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.flush()
    return event
