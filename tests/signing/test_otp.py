"""SMS one-time codes: the rules of issue 5 against the real tables on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.db import transaction
from signing.event_context import EventSubject, RequestContext
from signing.otp import service
from signing.otp.errors import (
    ChallengeLocked,
    CodeAlreadyUsed,
    CodeExpired,
    DocumentChanged,
    TooManySends,
    WrongCode,
)
from signing.otp.models import OtpChallenge
from signing.otp.service import Outcome

from .clock import ManualClock

KEY = b"k" * 32
SIGNER = "session:1/signer:1"
DOC = "a" * 64
OTHER_DOC = "b" * 64
SUBJECT = EventSubject("signing_signer", "1", "alice@example.com")
REQUEST = RequestContext(ip="203.0.113.7", user_agent="pytest")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def issue(db: sessionmaker[Session], clock: ManualClock, doc: str = DOC) -> str:
    with transaction(db) as s:
        return service.issue_code(
            s, SIGNER, doc, key=KEY, subject=SUBJECT, request=REQUEST, clock=clock
        ).code


def check(
    db: sessionmaker[Session], clock: ManualClock, code: str, doc: str = DOC
) -> service.CheckResult:
    with transaction(db) as s:
        return service.check_code(
            s, SIGNER, doc, code, key=KEY, subject=SUBJECT, request=REQUEST, clock=clock
        )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_code_is_six_digits_stored_only_as_keyed_hash(db, clock) -> None:
    code = issue(db, clock)
    assert len(code) == 6 and code.isdigit()
    with db() as s:
        row = s.scalars(select(OtpChallenge)).one()
        assert code not in (row.code_hash or "")
        assert len(row.code_hash or "") == 64
    assert check(db, clock, code).accepted


def test_five_wrong_codes_lock_even_the_right_one_and_new_sends(db, clock) -> None:
    code = issue(db, clock)
    for attempt in range(4):
        result = check(db, clock, wrong(code))
        assert result.outcome is Outcome.WRONG and result.remaining_attempts == 4 - attempt
        with pytest.raises(WrongCode):
            result.raise_if_refused()
    assert check(db, clock, wrong(code)).outcome is Outcome.LOCKED
    assert check(db, clock, code).outcome is Outcome.LOCKED
    with pytest.raises(ChallengeLocked), transaction(db) as s:
        service.issue_code(s, SIGNER, DOC, key=KEY, subject=SUBJECT, request=REQUEST, clock=clock)


def test_new_send_does_not_reset_the_failure_count(db, clock) -> None:
    code = issue(db, clock)
    for _ in range(3):
        check(db, clock, wrong(code))
    code = issue(db, clock)
    assert check(db, clock, wrong(code)).remaining_attempts == 1
    assert check(db, clock, wrong(code)).outcome is Outcome.LOCKED


def test_expired_code_is_refused(db, clock) -> None:
    code = issue(db, clock)
    clock.advance(minutes=10)
    result = check(db, clock, code)
    assert result.outcome is Outcome.EXPIRED
    with pytest.raises(CodeExpired):
        result.raise_if_refused()


def test_code_just_before_expiry_is_accepted(db, clock) -> None:
    code = issue(db, clock)
    clock.advance(minutes=9, seconds=59)
    assert check(db, clock, code).accepted


def test_replayed_code_is_refused(db, clock) -> None:
    code = issue(db, clock)
    assert check(db, clock, code).accepted
    result = check(db, clock, code)
    assert result.outcome is Outcome.REPLAYED
    with pytest.raises(CodeAlreadyUsed):
        result.raise_if_refused()


def test_changed_document_refuses_the_old_code(db, clock) -> None:
    code = issue(db, clock)
    result = check(db, clock, code, doc=OTHER_DOC)
    assert result.outcome is Outcome.DOCUMENT_CHANGED
    with pytest.raises(DocumentChanged):
        result.raise_if_refused()
    # the code is dead, even for the original document
    assert not check(db, clock, code).accepted


def test_code_is_bound_to_the_signer(db, clock) -> None:
    code = issue(db, clock)
    with transaction(db) as s:
        other = service.check_code(
            s,
            "session:1/signer:2",
            DOC,
            code,
            key=KEY,
            subject=SUBJECT,
            request=REQUEST,
            clock=clock,
        )
    assert other.outcome is Outcome.NO_CODE


def test_send_rate_limit_three_per_fifteen_minutes(db, clock) -> None:
    for _ in range(3):
        issue(db, clock)
        clock.advance(minutes=4)
    with pytest.raises(TooManySends) as refused:
        issue(db, clock)
    assert "3 minute" in refused.value.en
    clock.advance(minutes=3, seconds=1)  # the first send leaves the 15-minute window
    assert len(issue(db, clock)) == 6


def test_every_code_event_is_in_the_audit_trail_with_ip_and_user_agent(db, clock) -> None:
    code = issue(db, clock)
    check(db, clock, wrong(code))
    check(db, clock, code)
    with db() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == [
        "signing.code_sent",
        "signing.code_rejected",
        "signing.code_verified",
    ]
    assert all(e.data["ip"] == "203.0.113.7" and e.data["user_agent"] == "pytest" for e in events)
    assert code not in str([e.data for e in events])
