"""Reopening a closed-approved file at a human step, on SQLite and PostgreSQL: the new waiting
run (a new row, so a new suspension key for the flow), the file back in progress, the audit
event with the reason, and every refusal (open, rejected or cancelled file, automatic or unknown
step, no reason, wrong role, a racing second reopen) changing nothing; `liasse files reopen`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent, verify
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
from dossiers.files.states import SYSTEM, FileState, StepState

from .helpers import at, default_circuit, seed
from .test_cli import cli, counts, one_line_error  # noqa: F401  (cli is a fixture)
from .test_service import snapshot, start

REASON = "Chorus Pro, facture F2026-000012 : code service manquant"


def drive(db: sessionmaker[Session], file_id: int, *, reject_first: bool = False) -> None:
    """Walk the file to its end the way the flow does (admin approves, system runs steps)."""
    for hour in range(1, 40):
        with transaction(db) as session:
            plan = queries.plan_next(session, file_id)
            action = plan.action
            if isinstance(action, m.Finished):
                return
            assert plan.step_row_id is not None
            if isinstance(action, m.AwaitHuman) and reject_first:
                service.reject(session, plan.step_row_id, "admin", reason="hors cible",
                               at=at(hour))
            elif isinstance(action, m.AwaitHuman):
                service.approve(session, plan.step_row_id, "admin", at=at(hour))
            elif isinstance(action, m.RunAutomatic) and not action.claimed:
                service.claim_automatic(session, plan.step_row_id, at=at(hour))
            else:
                service.complete_automatic(session, plan.step_row_id, at=at(hour))
    raise AssertionError("the file never finished")


def closed_file(db: sessionmaker[Session], customer_id: int) -> int:
    file_id, _ = start(db, customer_id)
    drive(db, file_id)
    return file_id


def test_reopen_puts_the_file_back_at_invoice_review_with_the_reason(
    db: sessionmaker[Session],
) -> None:
    file_id = closed_file(db, seed(db))
    with db() as session:
        file = service.get_file(session, file_id)
        version, rows_before = file.version, [(s.id, s.state) for s in file.steps]
        assert (file.state, file.outcome) == (FileState.CLOSED_APPROVED, "approved")
        closed_at = file.closed_at

    with transaction(db) as session:
        transition = service.reopen(session, file_id, "invoice_review", SYSTEM, REASON,
                                    at=at(100))
        assert transition.event == "file.reopened"

    with db() as session:
        file = service.get_file(session, file_id)
        assert (file.state, file.outcome, file.closed_at) == (FileState.IN_PROGRESS, None, None)
        assert file.version == version + 1
        assert [(s.id, s.state) for s in file.steps[:-1]] == rows_before  # history untouched
        new = file.steps[-1]
        assert new.id not in {row_id for row_id, _ in rows_before}
        assert (new.step_id, new.state, new.role, new.reason) == (
            "invoice_review", StepState.WAITING, "billing", REASON)
        assert (new.seq, new.activated_at, new.due_at) == (
            len(rows_before) + 1, at(100), at(100) + timedelta(hours=8))
        assert new.decided_by is None and new.decision is None
        assert (file.current_step, file.current_seq) == ("invoice_review", new.seq)
        plan = queries.plan_next(session, file_id)
        assert isinstance(plan.action, m.AwaitHuman) and plan.step_row_id == new.id
        assert [s.id for s in queries.pending_steps(session, role="billing")] == [new.id]
        reopened = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "file.reopened")).one()
        assert (reopened.actor, reopened.subject_id) == ("system", str(file_id))
        assert reopened.data["reason"] == REASON
        assert reopened.data["step_id"] == "invoice_review"
        assert reopened.data["step_row_id"] == new.id
        assert reopened.data["file_state_before"] == "closed_approved"
        assert reopened.data["file_state"] == "in_progress"
        assert reopened.data["outcome_before"] == "approved"
        assert reopened.data["closed_at_before"] == closed_at.isoformat()
        assert verify(session).ok
        new_id = new.id

    # The circuit goes on from there: billing approves, the invoice steps run again, it closes.
    with transaction(db) as session:
        service.approve(session, new_id, "bill", reason="code service ajouté", at=at(101))
    with db() as session:
        assert service.get_file(session, file_id).current_step == "invoice_render"
    drive(db, file_id)
    with db() as session:
        assert service.get_file(session, file_id).state == FileState.CLOSED_APPROVED


@pytest.mark.parametrize("login", ["ops", "admin"])
def test_operators_and_admins_reopen_by_login(db: sessionmaker[Session], login: str) -> None:
    file_id = closed_file(db, seed(db))
    with transaction(db) as session:
        service.reopen(session, file_id, "invoice_review", login, "facture rejetée", at=at(90))
    with db() as session:
        event_row = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "file.reopened")).one()
        assert event_row.actor == login
        assert service.get_file(session, file_id).state == FileState.IN_PROGRESS


@pytest.mark.parametrize(("step_id", "login", "reason", "error", "match"), [
    ("invoice_review", "bill", REASON, PermissionDenied, "opérateur ou un administrateur"),
    ("invoice_review", "ghost", REASON, NotFound, "ghost"),
    ("invoice_review", "ops", "   ", ValidationError, "motif est obligatoire"),
    ("invoice_render", "ops", REASON, IllegalTransition, "automatique"),
    ("nowhere", "ops", REASON, ValidationError, "pas d'étape « nowhere »"),
])
def test_refused_reopens_change_nothing(db: sessionmaker[Session], step_id: str, login: str,
                                        reason: str, error: type[LiasseError],
                                        match: str) -> None:
    file_id = closed_file(db, seed(db))
    before = snapshot(db, file_id)
    with pytest.raises(error, match=match), transaction(db) as session:
        service.reopen(session, file_id, step_id, login, reason)
    assert snapshot(db, file_id) == before


def test_only_closed_approved_files_reopen(db: sessionmaker[Session]) -> None:
    customer_id = seed(db)
    open_id, _ = start(db, customer_id)
    rejected_id, _ = start(db, customer_id)
    drive(db, rejected_id, reject_first=True)  # order form rejected -> closed_rejected
    cancelled_id, _ = start(db, customer_id)
    with transaction(db) as session:
        service.cancel_file(session, cancelled_id, "ops", reason="doublon")
    cases = [(open_id, "pas clos"), (rejected_id, "closed_rejected"),
             (cancelled_id, "cancelled")]
    for file_id, match in cases:
        before = snapshot(db, file_id)
        with pytest.raises(IllegalTransition, match=match), transaction(db) as session:
            service.reopen(session, file_id, "invoice_review", "admin", REASON)
        assert snapshot(db, file_id) == before
    with pytest.raises(NotFound), transaction(db) as session:
        service.reopen(session, 999_999, "invoice_review", "admin", REASON)


def test_a_second_reopen_is_refused_and_the_english_message_says_why(
    db: sessionmaker[Session],
) -> None:
    file_id = closed_file(db, seed(db))
    with transaction(db) as session:
        service.reopen(session, file_id, "invoice_review", SYSTEM, REASON)
    before = snapshot(db, file_id)
    with pytest.raises(IllegalTransition) as refused, transaction(db) as session:
        service.reopen(session, file_id, "invoice_review", SYSTEM, REASON)
    assert refused.value.en == "The file is not closed (in_progress): nothing to reopen."
    assert snapshot(db, file_id) == before


def test_reopen_racing_another_reopen_loses_on_version(db: sessionmaker[Session]) -> None:
    """B reads the closed file, A reopens it and commits, B writes -> B gets a conflict."""
    if db.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite serialises transactions: no window between read and write")
    file_id = closed_file(db, seed(db))

    def other_operator_commits_first(session: Session, *_: object) -> None:
        with transaction(db) as other:
            service.reopen(other, file_id, "invoice_review", "ops", "premier")

    b_session = db()
    event.listen(b_session, "before_flush", other_operator_commits_first, once=True)
    try:
        with pytest.raises(ConflictError, match="modifié par quelqu'un d'autre"):
            service.reopen(b_session, file_id, "invoice_review", "admin", "second")
    finally:
        b_session.rollback()
        b_session.close()
    with db() as session:
        file = service.get_file(session, file_id)
        assert [s.reason for s in file.steps if s.state == StepState.WAITING] == ["premier"]
        assert verify(session).ok


def test_machine_reopen_is_pure_and_checks_its_actor() -> None:
    circuit = default_circuit()
    view = m.start(circuit, at(0))
    with pytest.raises(IllegalTransition):
        m.decide(circuit, view, m.Reopen(SYSTEM, "invoice_review", REASON), at(1))
    closed = m.decide(circuit, view, m.Cancel(SYSTEM, "doublon"), at(1)).view
    with pytest.raises(IllegalTransition) as refused:
        m.decide(circuit, closed, m.Reopen(SYSTEM, "invoice_review", REASON), at(2))
    assert "closed as approved" in refused.value.en


def test_cli_reopens_and_says_how_the_run_starts(db: sessionmaker[Session], cli,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # no orchestrator reachable
    file_id = closed_file(db, seed(db))
    before = counts(db)
    one_line_error(cli("files", "reopen", str(file_id), "--step", "invoice_review",
                       "--reason", REASON, "--as", "bill"), 6, "opérateur")
    one_line_error(cli("files", "reopen", str(file_id), "--step", "invoice_seal",
                       "--reason", REASON, "--as", "ops"), 5, "automatique")
    one_line_error(cli("files", "reopen", str(file_id), "--step", "invoice_review",
                       "--reason", " ", "--as", "ops"), 10, "motif est obligatoire")
    assert counts(db) == before
    code, out, _ = cli("files", "reopen", str(file_id), "--step", "invoice_review",
                       "--reason", REASON, "--as", "ops")
    with db() as session:
        row = service.get_file(session, file_id).steps[-1]
        assert (row.step_id, row.state, row.reason) == ("invoice_review", StepState.WAITING,
                                                        REASON)
    assert code == 0, out
    assert f"Dossier {file_id} rouvert à l'étape « invoice_review » (étape {row.id})" in out
    assert f"liasse flow start {file_id} --attempt {row.id}" in out
    one_line_error(cli("files", "reopen", str(file_id), "--step", "invoice_review",
                       "--reason", REASON, "--as", "ops"), 5, "pas clos")
