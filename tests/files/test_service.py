"""Files and decisions in the database, on SQLite and PostgreSQL: records, audit, permissions,
optimistic locking (two deciders, exactly one wins) and refusals that change nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent, verify
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.db import transaction
from dossiers.errors import (
    ConflictError,
    IllegalTransition,
    LiasseError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from dossiers.files import queries, service
from dossiers.files import state_machine as m
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.states import DecisionKind, FileState, StepState

from .helpers import at, default_circuit, dispute_circuit, issued_invoice, seed


def start(db: sessionmaker[Session], customer_id: int) -> tuple[int, int]:
    """A new default-circuit file; returns (file id, id of its first step row)."""
    with transaction(db) as session:
        file = service.start_file(session, customer_id=customer_id, circuit=default_circuit(),
                                  actor="admin", at=at(0))
        return file.id, file.steps[0].id


def snapshot(db: sessionmaker[Session], file_id: int) -> tuple:
    """Everything a refused command must leave untouched."""
    with db() as session:
        file = service.get_file(session, file_id)
        steps = tuple((s.seq, s.state, s.decided_by, s.reason, s.assignee) for s in file.steps)
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        return file.version, file.state, file.current_step, steps, events


def current_row(db: sessionmaker[Session], file_id: int) -> int:
    with db() as session:
        plan = queries.plan_next(session, file_id)
        assert plan.step_row_id is not None
        return plan.step_row_id


def test_start_file_pins_circuit_and_audits(db: sessionmaker[Session]) -> None:
    customer_id = seed(db)
    file_id, step_row = start(db, customer_id)
    with db() as session:
        file = service.get_file(session, file_id)
        assert (file.circuit_name, file.circuit_version, file.state) == (
            "default", 1, FileState.IN_PROGRESS)
        assert (file.current_step, file.current_seq, file.version) == ("order_form", 1, 1)
        step = file.steps[0]
        assert (step.id, step.role, step.state, step.kind, step.mode) == (
            step_row, "order_desk", StepState.WAITING, "order_form", "human")
        assert step.due_at == at(24) and step.escalate_at == at(48)
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions == ["circuit.version_registered", "file.started"]


def test_start_refuses_unknown_customer_and_dispute_without_invoice(
    db: sessionmaker[Session],
) -> None:
    customer_id = seed(db)
    with pytest.raises(NotFound), transaction(db) as session:
        service.start_file(session, customer_id=9999, circuit=default_circuit(), actor="admin")
    with pytest.raises(ValidationError, match="facture concernée"), transaction(db) as session:
        service.start_file(session, customer_id=customer_id, circuit=dispute_circuit(),
                           actor="admin")
    issued_invoice(db, customer_id)
    with transaction(db) as session:
        dispute = service.start_file(session, customer_id=customer_id, circuit=dispute_circuit(),
                                     actor="admin", parent_invoice_ref="F2026-000042",
                                     reason="Colis jamais reçu")
        assert dispute.parent_invoice_ref == "F2026-000042"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(CustomerFile)) == 1


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("type", CustomerType.PROSPECT, "jamais facturé"),
    ("type", CustomerType.BENEFICIARY, "jamais facturé"),
    ("state", CustomerState.STRUCK_OFF, "radié"),
])
def test_customers_never_invoiced_cannot_start_an_invoicing_circuit(
    db: sessionmaker[Session], field: str, value: object, needle: str
) -> None:
    customer_id = seed(db)
    with transaction(db) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        setattr(customer, field, value)
    with pytest.raises(ValidationError, match=needle), transaction(db) as session:
        service.start_file(session, customer_id=customer_id, circuit=default_circuit(),
                           actor="admin")
    with db() as session:
        assert session.scalar(select(func.count()).select_from(CustomerFile)) == 0


def test_approval_records_who_when_why_with_an_audit_event(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    with transaction(db) as session:
        transition = service.approve(session, step_row, "olga", reason="bon complet", at=at(2))
        assert transition.event == "step.approved"
    with db() as session:
        file = service.get_file(session, file_id)
        first, second = file.steps
        assert (first.state, first.decided_by, first.decided_at, first.reason, first.decision) == (
            StepState.APPROVED, "olga", at(2), "bon complet", DecisionKind.APPROVE)
        assert (second.step_id, second.state, second.due_at) == (
            "supporting_documents", StepState.WAITING, at(50))
        assert (file.current_step, file.version) == ("supporting_documents", 2)
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None
        assert (event.action, event.actor, event.subject_id, event.occurred_at) == (
            "step.approved", "olga", str(file_id), at(2))
        assert event.data["step_id"] == "order_form" and event.data["reason"] == "bon complet"
        assert verify(session).ok


def test_reject_without_reason_writes_nothing(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    before = snapshot(db, file_id)
    with pytest.raises(ValidationError, match="motif"), transaction(db) as session:
        service.reject(session, step_row, "olga", reason="   ")
    assert snapshot(db, file_id) == before
    with transaction(db) as session:
        service.reject(session, step_row, "olga", reason="bon de commande non signé")
    with db() as session:
        file = service.get_file(session, file_id)
        assert file.state == FileState.CLOSED_REJECTED and file.closed_at is not None
        assert file.steps[0].reason == "bon de commande non signé"


def test_permission_denied_and_unknown_user_change_nothing(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    before = snapshot(db, file_id)
    with pytest.raises(PermissionDenied, match="dora n'a pas le rôle « order_desk »"), \
            transaction(db) as session:
        service.approve(session, step_row, "dora")
    with pytest.raises(NotFound, match="ghost"), transaction(db) as session:
        service.approve(session, step_row, "ghost")
    assert snapshot(db, file_id) == before
    with transaction(db) as session:  # admins may decide anything
        service.approve(session, step_row, "admin")


def test_inactive_user_cannot_decide(db: sessionmaker[Session]) -> None:
    _file_id, step_row = start(db, seed(db))
    with transaction(db) as session:
        session.scalars(select(service.StaffUser).where(service.StaffUser.login == "olga")
                        ).one().active = False
    with pytest.raises(NotFound, match="inactif"), transaction(db) as session:
        service.approve(session, step_row, "olga")


def test_double_click_is_a_clear_conflict_and_changes_nothing(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    with transaction(db) as session:
        service.approve(session, step_row, "olga", at=at(1))
    before = snapshot(db, file_id)
    with pytest.raises(ConflictError, match=r"déjà été traitée \(approved\) par olga"), \
            transaction(db) as session:
        service.approve(session, step_row, "olga", at=at(1))
    assert snapshot(db, file_id) == before


def test_stale_session_copy_is_not_trusted(db: sessionmaker[Session]) -> None:
    """A session holding an old copy of the file still sees the decision made meanwhile."""
    file_id, step_row = start(db, seed(db))
    stale = db()
    stale_file = stale.get(CustomerFile, file_id)  # the file and its steps at version 1 ...
    assert stale_file is not None and stale.get(FileStep, step_row) in stale_file.steps
    stale.commit()  # ... kept in the identity map after the transaction (expire_on_commit off)
    with transaction(db) as session:
        service.approve(session, step_row, "olga")
    before = snapshot(db, file_id)
    try:
        with pytest.raises(ConflictError, match="déjà été traitée"):
            service.approve(stale, step_row, "oscar")
    finally:
        stale.rollback()
        stale.close()
    assert snapshot(db, file_id) == before


def test_decision_racing_between_read_and_write_loses_on_version(
    db: sessionmaker[Session],
) -> None:
    """The optimistic lock itself: B reads, A decides and commits, B writes -> B is refused.

    Deterministic on PostgreSQL (reads take no lock). On SQLite `BEGIN IMMEDIATE` serialises
    whole transactions, so A could not commit inside B's transaction: that window cannot occur
    there, and the threaded test below covers SQLite.
    """
    if db.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite serialises transactions: no window between read and write")
    file_id, step_row = start(db, seed(db))

    def other_validator_commits_first(session: Session, *_: object) -> None:
        with transaction(db) as other:
            service.approve(other, step_row, "olga")

    b_session = db()
    event.listen(b_session, "before_flush", other_validator_commits_first, once=True)
    try:
        with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
            # B's approval would also insert step #2, which A inserted: the versioned UPDATE
            # of the file row comes first, so B fails on the version, not on a duplicate row.
            service.approve(b_session, step_row, "oscar")
    finally:
        b_session.rollback()
        b_session.close()
    with db() as session:
        file = service.get_file(session, file_id)
        assert file.steps[0].decided_by == "olga" and file.version == 2
        assert [s.state for s in file.steps] == [StepState.APPROVED, StepState.WAITING]
        assert verify(session).ok


@pytest.mark.parametrize("decisions", [("approve", "approve"), ("approve", "reject")])
def test_two_validators_at_once_exactly_one_wins(
    db: sessionmaker[Session], decisions: tuple[str, str]
) -> None:
    customer_id = seed(db)
    for _round in range(5):  # several races: the interleavings differ from one to the next
        file_id, step_row = start(db, customer_id)
        outcomes = _race(db, step_row, decisions)
        winners = [login for login, result in outcomes.items() if result == "won"]
        losers = [result for result in outcomes.values() if result != "won"]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1 and isinstance(losers[0], ConflictError), outcomes
        with db() as session:
            file = service.get_file(session, file_id)
            assert file.steps[0].decided_by == winners[0]
            assert file.version == 2  # one decision, one version bump
            decisions_audited = session.scalar(
                select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.subject_id == str(file_id),
                    AuditEvent.action.in_(["step.approved", "step.rejected"])))
            assert decisions_audited == 1
    with db() as session:
        assert verify(session).ok


def _race(db: sessionmaker[Session], step_row: int,
          decisions: tuple[str, str]) -> dict[str, object]:
    """Two validators decide the same step from two threads released at the same instant."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(login: str, how: str) -> None:
        barrier.wait()
        try:
            with transaction(db) as session:
                if how == "approve":
                    service.approve(session, step_row, login)
                else:
                    service.reject(session, step_row, login, reason="incomplet")
            outcomes[login] = "won"
        except LiasseError as error:
            outcomes[login] = error

    threads = [threading.Thread(target=decide, args=(login, how))
               for login, how in zip(("olga", "oscar"), decisions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_workers_claiming_an_automatic_step_one_wins(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    with transaction(db) as session:
        service.approve(session, step_row, "olga")
    with transaction(db) as session:
        service.approve(session, current_row(db, file_id), "dora")
    auto_row = current_row(db, file_id)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def claim() -> None:
        barrier.wait()
        try:
            with transaction(db) as session:
                service.claim_automatic(session, auto_row)
            results.append("won")
        except LiasseError as error:
            results.append(error)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("won") == 1
    assert any(isinstance(r, ConflictError) for r in results), results


def test_delegate_request_receive_revoke_cancel(db: sessionmaker[Session]) -> None:
    file_id, step_row = start(db, seed(db))
    with pytest.raises(NotFound, match="ghost"), transaction(db) as session:
        service.delegate(session, step_row, "olga", to_login="ghost")
    with transaction(db) as session:
        service.delegate(session, step_row, "olga", to_login="sam", reason="congés")
    with db() as session:
        assert [s.id for s in queries.pending_steps(session, assignee="sam")] == [step_row]
        assert [s.id for s in queries.pending_steps(session, role="order_desk")] == [step_row]
        assert queries.pending_steps(session, role="billing") == []
    with transaction(db) as session:
        service.request_document(session, step_row, "sam", document="Kbis",
                                 due_at=at(0) + timedelta(days=7), at=at(1))
    with db() as session:
        assert service.get_file(session, file_id).state == FileState.WAITING_CUSTOMER
        plan = queries.plan_next(session, file_id)
        assert isinstance(plan.action, m.AwaitCustomer) and plan.action.document == "Kbis"
    with transaction(db) as session:
        service.receive_document(session, file_id, document="kbis.pdf", at=at(2))
    with transaction(db) as session:
        service.approve(session, step_row, "sam", at=at(3))  # the delegate decides
    with transaction(db) as session:
        service.revoke(session, step_row, "sam", reason="mauvais client", at=at(4))
    with db() as session:
        file = service.get_file(session, file_id)
        assert [(s.step_id, s.state) for s in file.steps] == [
            ("order_form", StepState.REVOKED), ("supporting_documents", StepState.SKIPPED),
            ("order_form", StepState.WAITING)]
        assert file.current_seq == 3
    with pytest.raises(PermissionDenied), transaction(db) as session:
        service.cancel_file(session, file_id, "olga", reason="doublon")
    with transaction(db) as session:
        service.cancel_file(session, file_id, "ops", reason="doublon", at=at(5))
    with db() as session:
        file = service.get_file(session, file_id)
        assert (file.state, file.current_step, file.closed_at) == (FileState.CANCELLED, None,
                                                                   at(5))
        assert queries.pending_steps(session) == []
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions[-6:] == ["step.delegated", "step.document_requested",
                                "step.document_received", "step.approved",
                                "step.approval_revoked", "file.cancelled"]
    with pytest.raises(ConflictError, match="déjà été traitée"), transaction(db) as session:
        service.approve(session, step_row, "admin")
    with pytest.raises(IllegalTransition, match="clos"), transaction(db) as session:
        service.receive_document(session, file_id, document="late.pdf")


def test_flow_driver_walks_a_file_to_the_end(db: sessionmaker[Session]) -> None:
    """What the customer-file flow does: ask `plan_next`, act, repeat."""
    file_id, _ = start(db, seed(db))
    seen: list[str] = []
    for hour in range(1, 40):
        with transaction(db) as session:
            plan = queries.plan_next(session, file_id)
            action = plan.action
            if isinstance(action, m.Finished):
                break
            assert plan.step_row_id is not None
            seen.append(type(action).__name__)
            if isinstance(action, m.AwaitHuman):
                service.approve(session, plan.step_row_id, "admin", at=at(hour))
            elif isinstance(action, m.RunAutomatic) and not action.claimed:
                service.claim_automatic(session, plan.step_row_id, at=at(hour))
            else:
                service.complete_automatic(session, plan.step_row_id, at=at(hour))
    with db() as session:
        file = service.get_file(session, file_id)
        assert (file.state, file.outcome) == (FileState.CLOSED_APPROVED, "approved")
        assert all(s.decided_by and s.decided_at for s in file.steps)
        assert verify(session).ok
    assert seen.count("AwaitHuman") == 3 and seen.count("RunAutomatic") == 14


def test_sla_sweep_queries_remind_and_escalate(db: sessionmaker[Session]) -> None:
    """What the SLA flow does: find overdue steps, remind once, escalate once to the lead."""
    file_id, step_row = start(db, seed(db))  # order_form: SLA 24 h, escalation after 48 h
    with db() as session:
        assert queries.overdue_steps(session, at(23)) == []
        assert [s.id for s in queries.overdue_steps(session, at(25))] == [step_row]
    with transaction(db) as session:
        service.remind(session, step_row, at=at(25))
    with db() as session:
        assert queries.overdue_steps(session, at(30)) == []  # reminded: not listed again
        assert queries.escalation_due(session, at(47)) == []
        assert [s.id for s in queries.escalation_due(session, at(49))] == [step_row]
    with pytest.raises(NotFound), transaction(db) as session:
        service.escalate(session, step_row, to_login="ghost", at=at(49))
    with transaction(db) as session:
        service.escalate(session, step_row, to_login="sam", at=at(49))
    before = snapshot(db, file_id)
    with pytest.raises(ConflictError, match="déjà été remontée"), transaction(db) as session:
        service.escalate(session, step_row, to_login="sam", at=at(50))
    assert snapshot(db, file_id) == before
    with db() as session:
        assert queries.escalation_due(session, at(60)) == []
        row = session.get(FileStep, step_row)
        assert row is not None and (row.assignee, row.escalated_at) == ("sam", at(49))
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions[-2:] == ["step.reminded", "step.escalated"]
