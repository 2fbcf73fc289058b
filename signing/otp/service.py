"""Issuing and checking SMS one-time codes, inside the caller's transaction.

`check_code` never raises for a refused code: it returns the outcome so the caller can commit the
failure count first (a wrong guess must be counted even though the request fails), then call
`raise_if_refused()`. Every change is recorded in the audit trail in the same transaction.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.db import for_update
from signing.event_context import EventSubject, RequestContext, record_event
from signing.otp import codes
from signing.otp.errors import (
    ChallengeLocked,
    CodeAlreadyUsed,
    CodeExpired,
    DocumentChanged,
    NoCodeSent,
    OtpError,
    TooManySends,
    WrongCode,
)
from signing.otp.models import OtpChallenge, OtpSend
from signing.otp.policy import Clock, OtpPolicy, system_clock


@dataclass(frozen=True)
class IssuedCode:
    code: str  # plaintext, only in memory, for the SMS body
    idempotency_key: str
    expires_at: datetime
    send_id: int


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    DOCUMENT_CHANGED = "document_changed"
    NO_CODE = "no_code"


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    remaining_attempts: int

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def error(self) -> OtpError | None:
        return {
            Outcome.ACCEPTED: None,
            Outcome.WRONG: WrongCode(self.remaining_attempts),
            Outcome.LOCKED: ChallengeLocked(),
            Outcome.EXPIRED: CodeExpired(),
            Outcome.REPLAYED: CodeAlreadyUsed(),
            Outcome.DOCUMENT_CHANGED: DocumentChanged(),
            Outcome.NO_CODE: NoCodeSent(),
        }[self.outcome]

    def raise_if_refused(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def _challenge(session: Session, signer_ref: str, create: bool) -> OtpChallenge | None:
    query = select(OtpChallenge).where(OtpChallenge.signer_ref == signer_ref)
    if for_update(session):
        query = query.with_for_update()
    challenge = session.scalars(query).one_or_none()
    if challenge is None and create:
        challenge = OtpChallenge(signer_ref=signer_ref, failed_attempts=0)
        session.add(challenge)
        session.flush()
    return challenge


def issue_code(
    session: Session,
    signer_ref: str,
    document_sha256: str,
    *,
    key: bytes,
    subject: EventSubject,
    request: RequestContext,
    policy: OtpPolicy = OtpPolicy(),
    clock: Clock = system_clock,
) -> IssuedCode:
    """A fresh code for `signer_ref` bound to `document_sha256`; the previous code stops working."""
    now = clock()
    challenge = _challenge(session, signer_ref, create=True)
    assert challenge is not None
    if challenge.locked_at is not None:
        raise ChallengeLocked()
    window_start = now - policy.send_window
    recent = session.scalars(
        select(OtpSend.sent_at)
        .where(OtpSend.signer_ref == signer_ref, OtpSend.sent_at > window_start)
        .order_by(OtpSend.sent_at)
    ).all()
    if len(recent) >= policy.max_sends:
        wait = (recent[0] + policy.send_window - now).total_seconds()
        raise TooManySends(max(1, math.ceil(wait / 60)))
    code = codes.new_code(policy.digits)
    challenge.code_hash = codes.code_hash(key, signer_ref, document_sha256, code)
    challenge.document_sha256 = document_sha256
    challenge.issued_at = now
    challenge.expires_at = now + policy.ttl
    challenge.used_at = None
    send = OtpSend(signer_ref=signer_ref, sent_at=now, idempotency_key=uuid.uuid4().hex)
    session.add(send)
    session.flush()
    record_event(
        session,
        "signing.code_sent",
        subject,
        request,
        {
            "document_sha256": document_sha256,
            "expires_at": challenge.expires_at.isoformat(),
            "send": len(recent) + 1,
            "failed_attempts": challenge.failed_attempts,
        },
        at=now,
    )
    return IssuedCode(code, send.idempotency_key, challenge.expires_at, send.id)


def record_delivery(session: Session, send_id: int, message_sid: str) -> None:
    send = session.get(OtpSend, send_id)
    if send is not None:
        send.message_sid = message_sid


def sends_in_window(session: Session, signer_ref: str, now: datetime, policy: OtpPolicy) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OtpSend)
            .where(OtpSend.signer_ref == signer_ref, OtpSend.sent_at > now - policy.send_window)
        )
        or 0
    )


def check_code(
    session: Session,
    signer_ref: str,
    document_sha256: str,
    code: str,
    *,
    key: bytes,
    subject: EventSubject,
    request: RequestContext,
    policy: OtpPolicy = OtpPolicy(),
    clock: Clock = system_clock,
) -> CheckResult:
    now = clock()
    challenge = _challenge(session, signer_ref, create=False)
    result = _evaluate(challenge, signer_ref, document_sha256, code, key, policy, now)
    if challenge is not None:
        _apply(challenge, result, policy, now)
    action = "signing.code_verified" if result.accepted else "signing.code_rejected"
    record_event(
        session,
        action,
        subject,
        request,
        {
            "outcome": result.outcome.value,
            "document_sha256": document_sha256,
            "remaining_attempts": result.remaining_attempts,
        },
        at=now,
    )
    return result


def _evaluate(
    challenge: OtpChallenge | None,
    signer_ref: str,
    document_sha256: str,
    code: str,
    key: bytes,
    policy: OtpPolicy,
    now: datetime,
) -> CheckResult:
    if challenge is None:
        return CheckResult(Outcome.NO_CODE, policy.max_attempts)
    remaining = max(0, policy.max_attempts - challenge.failed_attempts)
    if challenge.locked_at is not None:
        return CheckResult(Outcome.LOCKED, 0)
    if challenge.used_at is not None:
        return CheckResult(Outcome.REPLAYED, remaining)
    if challenge.code_hash is None or challenge.expires_at is None:
        return CheckResult(Outcome.NO_CODE, remaining)
    if now >= challenge.expires_at:
        return CheckResult(Outcome.EXPIRED, remaining)
    if challenge.document_sha256 != document_sha256:
        return CheckResult(Outcome.DOCUMENT_CHANGED, remaining)
    if codes.matches(challenge.code_hash, key, signer_ref, document_sha256, code):
        return CheckResult(Outcome.ACCEPTED, remaining)
    remaining -= 1
    return CheckResult(Outcome.LOCKED if remaining <= 0 else Outcome.WRONG, remaining)


def _apply(challenge: OtpChallenge, result: CheckResult, policy: OtpPolicy, now: datetime) -> None:
    if result.outcome is Outcome.ACCEPTED:
        challenge.used_at = now
    elif result.outcome is Outcome.DOCUMENT_CHANGED:
        challenge.code_hash = None  # the code was shown for another document: it is dead
    elif result.outcome in (Outcome.WRONG, Outcome.LOCKED) and challenge.locked_at is None:
        challenge.failed_attempts += 1
        if challenge.failed_attempts >= policy.max_attempts:
            challenge.locked_at = now
