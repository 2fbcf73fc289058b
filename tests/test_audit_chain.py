"""The audit trail is a hash chain: any single edit, removal or reordering is caught and named."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent, record, verify
from dossiers.db import transaction


def _seed(db: sessionmaker[Session], n: int) -> None:
    with transaction(db) as s:
        for i in range(n):
            record(s, "customer.created", subject_type="customer", subject_id=i, data={"i": i})


def test_untouched_chain_verifies(db: sessionmaker[Session]) -> None:
    _seed(db, 5)
    with db() as s:
        report = verify(s)
    assert report.ok, report.problems
    assert report.checked == 5


def test_rolled_back_event_leaves_no_trace(db: sessionmaker[Session]) -> None:
    _seed(db, 2)
    try:
        with transaction(db) as s:
            record(s, "x", subject_type="t", subject_id=1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    _seed(db, 1)
    with db() as s:
        assert verify(s).ok
        assert s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == 3


def test_edit_is_detected_and_named(db: sessionmaker[Session]) -> None:
    _seed(db, 4)
    with transaction(db) as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory"))
    with db() as s:
        report = verify(s)
    assert [(p.seq, p.kind) for p in report.problems] == [(2, "edited")]


def test_removal_is_detected(db: sessionmaker[Session]) -> None:
    _seed(db, 4)
    with transaction(db) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    with db() as s:
        report = verify(s)
    assert not report.ok
    assert {p.kind for p in report.problems} >= {"missing_or_reordered", "broken_link"}
    assert report.problems[0].seq == 4


def test_removing_the_last_event_is_detected(db: sessionmaker[Session]) -> None:
    _seed(db, 3)
    with transaction(db) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    with db() as s:
        report = verify(s)
    assert [p.kind for p in report.problems] == ["truncated"]


FIELDS = ["actor", "action", "subject_id", "data", "seq", "prev_hash", "hash", "swap", "delete"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.integers(min_value=1, max_value=6), how=st.sampled_from(FIELDS))
def test_every_single_event_tampering_is_caught(
    db: sessionmaker[Session], target: int, how: str
) -> None:
    with transaction(db) as s:
        s.execute(delete(AuditEvent))
        from dossiers.audit import AuditChainHead

        s.execute(delete(AuditChainHead))
    _seed(db, 6)
    with transaction(db) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.seq == target)).one()
        if how == "delete":
            s.delete(event)
        elif how == "swap":
            other_seq = target + 1 if target < 6 else target - 1
            other = s.scalars(select(AuditEvent).where(AuditEvent.seq == other_seq)).one()
            a = (event.seq, event.action, event.data, event.prev_hash, event.hash, event.subject_id)
            b = (other.seq, other.action, other.data, other.prev_hash, other.hash, other.subject_id)
            for e in (event, other):
                e.seq = -e.id  # avoid the unique constraint during the swap
            s.flush()
            for e, v in ((event, b), (other, a)):
                e.seq, e.action, e.data, e.prev_hash, e.hash, e.subject_id = v
        elif how == "data":
            event.data = {"i": 999}
        elif how == "seq":
            event.seq = 100
        elif how in ("prev_hash", "hash"):
            setattr(event, how, "f" * 64)
        else:
            setattr(event, how, "tampered")
    with db() as s:
        assert not verify(s).ok
