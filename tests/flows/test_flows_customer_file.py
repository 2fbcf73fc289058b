"""The customer-file flow against the Prefect test server, with an in-memory domain engine.

Flow runs are created from a real deployment (suspension needs one) and executed in this
process with Prefect's own engine (`run_flow`, what a worker's subprocess runs), so the
in-memory engine and the outbox are visible to the test. Resumes go through `flows.control`
and the real API.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from uuid import UUID

import pytest
from file_engine_double import InMemoryFileEngine, make_decision
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.models import SentMail
from connectors.mail.outbox import OutboxMailer
from dossiers.db import Base, make_engine, make_session_factory
from flows import tasks
from flows.control import NotWaiting, resume_stale_runs, resume_step, start_file
from flows.customer_file import customer_file, suspension_key
from flows.runtime import Runtime, use_runtime
from flows.settings import FlowSettings
from flows.sla import sla_reminders

pytestmark = pytest.mark.xdist_group("prefect")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def deployment(prefect_api: str) -> UUID:
    return customer_file.to_deployment("customer-file").apply()


@pytest.fixture
def ledger(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'liasse.db'}")
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


@pytest.fixture
def engine() -> InMemoryFileEngine:
    return InMemoryFileEngine(now=NOW)


@pytest.fixture
def runtime(
    engine: InMemoryFileEngine,
    ledger: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    # Retry timing only: production waits 5s/30s/120s between attempts.
    monkeypatch.setattr(tasks.run_automatic_step, "retry_delay_seconds", [0, 0, 0])
    runtime = Runtime(
        session_factory=ledger,
        mailer=OutboxMailer(tmp_path / "outbox", ledger),
        secret=b"flow-test-secret",
        flow_settings=FlowSettings(public_url="https://liasse.example"),
        file_engine=engine,
        sla_source=engine,
    )
    with use_runtime(runtime):
        yield runtime


def execute(flow_run_id: UUID) -> FlowRun:
    """Run the flow run in this process, like a worker would; returns its refreshed state."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        with contextlib.suppress(Pause):  # the run suspended: a worker's process exits here
            run_flow(customer_file, flow_run=flow_run, parameters=flow_run.parameters)
        return client.read_flow_run(flow_run_id)


def outbox_subjects(runtime: Runtime) -> list[str]:
    folder = runtime.mailer.transport.folder
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in folder.glob("*")]
    return sorted(str(m["Subject"]) for m in mails)


def test_file_goes_from_order_form_to_invoice_with_approvals(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F1")
    run_id = start_file("F1")
    assert start_file("F1") == run_id  # idempotent start

    run = execute(run_id)
    assert run.state.is_paused() and run.state.state_details.pause_key == suspension_key("F1-2")
    assert engine.effects == {"F1-1:render_order_form": 1}
    assert outbox_subjects(runtime) == ["[Liasse] À valider : Validation order_desk — Dossier F1"]

    resume_step("F1", make_decision("F1-2", "approved", "alice"))
    run = execute(run_id)
    assert run.state.is_paused() and run.state.state_details.pause_key == suspension_key("F1-4")

    resume_step("F1", make_decision("F1-4", "approved", "bob"))
    run = execute(run_id)

    assert run.state.is_completed()
    assert engine.files["F1"].outcome == "approved"
    # Three executions from the top, yet every automatic step ran once and each alert went once.
    assert engine.effects == {
        "F1-1:render_order_form": 1,
        "F1-3:issue_invoice": 1,
        "F1-5:archive_invoice": 1,
    }
    assert len(outbox_subjects(runtime)) == 2
    with runtime.session_factory() as session:
        keys = session.scalars(select(SentMail.idempotency_key).order_by(SentMail.id)).all()
    assert keys == ["step-alert:F1-2:new", "step-alert:F1-4:new"]


def test_rejection_sends_the_file_back_with_the_reason(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F2")
    run_id = start_file("F2")
    execute(run_id)
    resume_step("F2", make_decision("F2-2", "approved", "alice"))
    execute(run_id)

    resume_step("F2", make_decision("F2-4", "rejected", "bob", "Montant HT erroné"))
    run = execute(run_id)

    # Back at the order desk, as a new step run: new suspension key, new alert.
    assert run.state.is_paused() and run.state.state_details.pause_key == suspension_key("F2-5")
    assert "rejected accounting by bob Montant HT erroné" in engine.files["F2"].history
    assert engine.files["F2"].history[-1] == "enter order_desk as F2-5"
    assert (
        outbox_subjects(runtime).count("[Liasse] À valider : Validation order_desk — Dossier F2")
        == 2
    )


def test_portal_records_the_decision_first_then_wakes_the_run(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F3")
    run_id = start_file("F3")
    execute(run_id)
    decision = make_decision("F3-2", "approved", "alice")
    engine.apply_decision("F3", decision)  # the portal's transaction (role checks live here)

    resume_step("F3", decision)
    run = execute(run_id)

    assert run.state.state_details.pause_key == suspension_key("F3-4")
    assert engine.files["F3"].history.count("approved order_desk by alice ") == 1


def test_crashed_automatic_step_is_retried_without_duplicates(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F4", [("auto", "seal"), ("auto", "deposit"), ("human", "order_desk")])
    engine.fail_next = {"F4-1:seal": "before", "F4-2:deposit": "after"}

    run = execute(start_file("F4"))

    assert run.state.is_paused()
    assert engine.attempts == {"F4-1:seal": 2, "F4-2:deposit": 2}
    assert engine.effects == {"F4-1:seal": 1, "F4-2:deposit": 1}  # the retry did not redo it


def test_bad_resumes_are_clear_errors_and_change_nothing(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F5")
    run_id = start_file("F5")
    execute(run_id)
    history = list(engine.files["F5"].history)

    with pytest.raises(NotWaiting, match="n'attend pas de décision sur l'étape F5-4"):
        resume_step("F5", make_decision("F5-4", "approved", "bob"))
    with pytest.raises(NotWaiting):
        resume_step("unknown-file", make_decision("F5-2", "approved", "alice"))

    resume_step("F5", make_decision("F5-2", "approved", "alice"))
    with pytest.raises(NotWaiting):  # double resume: the run is no longer suspended
        resume_step("F5", make_decision("F5-2", "rejected", "alice", "oops"))
    assert engine.files["F5"].history == history


def test_overdue_step_gets_a_reminder_then_an_escalation_once(
    prefect_api: str, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F6", [("human", "order_desk")])

    assert sla_reminders(now=NOW + timedelta(hours=1)) == 0
    assert sla_reminders(now=NOW + timedelta(hours=25)) == 1
    assert sla_reminders(now=NOW + timedelta(hours=26)) == 1  # same reminder: not sent again
    assert sla_reminders(now=NOW + timedelta(hours=49)) == 1

    assert outbox_subjects(runtime) == [
        "[Liasse] Escalade : Validation order_desk — Dossier F6",
        "[Liasse] Relance : Validation order_desk — Dossier F6",
    ]
    assert [(r[0], r[1]) for r in engine.reminders] == [
        ("F6-1", "reminder"),
        ("F6-1", "escalation"),
    ]


def test_a_run_suspended_on_an_already_decided_step_is_woken_by_the_sweep(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    engine.add_file("F7")
    run_id = start_file("F7")
    execute(run_id)
    # The portal recorded the decision but its resume was lost (the race in docs/prefect.md).
    engine.apply_decision("F7", make_decision("F7-2", "approved", "alice"))

    assert resume_stale_runs(engine) == [run_id]
    assert resume_stale_runs(engine) == []  # nothing left to wake
    run = execute(run_id)

    assert run.state.is_paused()
    assert run.state.state_details.pause_key == suspension_key("F7-4")
    assert resume_stale_runs(engine) == []  # waiting on the right step: left alone
    assert engine.effects["F7-3:issue_invoice"] == 1


def test_a_step_run_that_waits_again_after_its_decision_stops_the_run(
    deployment: UUID, engine: InMemoryFileEngine, runtime: Runtime
) -> None:
    """A domain that reuses a step_run_id would replay the spent key's input forever."""
    engine.add_file("F8", [("human", "order_desk")])
    engine.members["order_desk"] = {"alice"}
    run_id = start_file("F8")
    execute(run_id)
    original = engine.apply_decision
    engine.apply_decision = lambda file_id, decision: None  # records nothing: still waiting

    resume_step("F8", make_decision("F8-1", "approved", "alice"))
    with pytest.raises(RuntimeError, match="waits again on decided 'F8-1'"):
        execute(run_id)

    engine.apply_decision = original
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).state.is_failed()
