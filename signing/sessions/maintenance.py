"""Reminders, invitation retries and expiry, run periodically (a Prefect flow or `liasse sign
remind|expire`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from signing.event_context import RequestContext, record_event
from signing.sessions import access
from signing.sessions.deps import SessionOutcome
from signing.sessions.models import SessionStatus, SignerState, SigningSession, SigningSigner


def _open_sessions(s: Session) -> list[SigningSession]:
    return list(
        s.scalars(select(SigningSession).where(SigningSession.status == SessionStatus.OPEN))
    )


def due_for_reminder(
    s: Session, now: datetime, interval: timedelta
) -> Iterator[tuple[SigningSession, SigningSigner]]:
    for signing in _open_sessions(s):
        if signing.expires_at <= now:
            continue
        for signer in access.whose_turn(signing):
            last = signer.reminded_at or signer.invited_at
            if last is not None and now - last >= interval:
                yield signing, signer


def awaiting_invitation(
    s: Session, now: datetime
) -> Iterator[tuple[SigningSession, SigningSigner]]:
    """Signers whose turn it is and who were invited: their invitation is sent again with its
    own idempotency key, so one that a mail outage held back goes out, and one already
    delivered is not delivered twice (the mail ledger answers from its record)."""
    for signing in _open_sessions(s):
        if signing.expires_at <= now:
            continue
        for signer in access.whose_turn(signing):
            if signer.invited_at is not None:
                yield signing, signer


def expire_overdue(s: Session, now: datetime, request: RequestContext) -> list[SessionOutcome]:
    outcomes = []
    for signing in _open_sessions(s):
        if signing.expires_at > now:
            continue
        signing.status = SessionStatus.EXPIRED
        for signer in signing.signers:
            if signer.state not in access.FINISHED:
                signer.state = SignerState.EXPIRED
        record_event(
            s,
            "signing.expired",
            access.subject(signing, "system"),
            request,
            {"expires_at": signing.expires_at.isoformat()},
            at=now,
        )
        outcomes.append(
            SessionOutcome(signing.reference, signing.subject_ref, signing.customer_id, "expired")
        )
    return outcomes
