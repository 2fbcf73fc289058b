"""The customer-file flow driving real files through the default circuit (`DbFileEngine`).

Prefect's real API (`prefect_test_harness`), a real deployment, flow runs executed in this
process by Prefect's engine (what a worker's subprocess runs); decisions recorded through the
domain then resumed through `flows.control` (the portal's order); the signature done through
the signing service whose hook resumes the run. Counts are read where things landed: archive
records and store puts, the mail ledger, the fake Twilio's outbox. SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from uuid import UUID

import pytest
from file_world import (  # noqa: F401  (fixtures)
    World,
    fake_twilio_server,
    pki_home,
    world_fixture,
)
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.states import Cancelled

from application.invoicing import posting
from application.settings import Settings
from application.signing_sessions import signing_service
from dossiers.db import transaction
from dossiers.errors import ConflictError, PermissionDenied
from dossiers.files import service
from dossiers.files.states import FileState, StepState
from flows import tasks
from flows.actions.sla_source import DbSlaSource
from flows.control import NotWaiting, resume_step, start_file
from flows.customer_file import customer_file, suspension_key
from flows.db_file_engine import on_signing_outcome, record_decision, resume_after_signing
from flows.file_engine_protocol import StepDecision
from flows.runtime import Runtime, use_runtime
from flows.settings import FlowSettings
from flows.sla import sla_reminders
from signing.event_context import RequestContext

pytestmark = pytest.mark.xdist_group("prefect")
BROWSER = RequestContext("203.0.113.10", "pytest")


@pytest.fixture(scope="module")
def deployment(prefect_api: str) -> UUID:
    return customer_file.to_deployment("customer-file").apply()


@pytest.fixture
def runtime(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setattr(tasks.run_automatic_step, "retry_delay_seconds", [0, 0, 0])
    world.engine.resume = resume_after_signing  # the real resume, through Prefect's API
    runtime = Runtime(session_factory=world.db, mailer=world.ctx.mailer,
                      secret=Settings().resolved_secret_key(),
                      flow_settings=FlowSettings(public_url="https://liasse.example"),
                      file_engine=world.engine, sla_source=DbSlaSource(world.engine))
    started: list[str] = []
    runtime.started = started  # type: ignore[attr-defined]
    with use_runtime(runtime):
        yield runtime
    _cancel_paused(started)  # file ids restart at 1 in every test database


def _cancel_paused(file_ids: list[str]) -> None:
    from flows.control import waiting_run

    with get_client(sync_client=True) as client:
        for file_id in file_ids:
            while (run := waiting_run(file_id)) is not None:
                client.set_flow_run_state(run.id, Cancelled(), force=True)


def start(runtime: Runtime, file_id: int) -> UUID:
    runtime.started.append(str(file_id))  # type: ignore[attr-defined]
    return start_file(str(file_id), attempt=uuid.uuid4().int % 10**12)


def execute(flow_run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        with contextlib.suppress(Pause):
            run_flow(customer_file, flow_run=flow_run, parameters=flow_run.parameters)
        return client.read_flow_run(flow_run_id)


def waiting_row(world: World, file_id: int) -> int:
    with world.db() as s:
        row_id = service.get_file(s, file_id).steps[-1].id
    return row_id


def decide(world: World, file_id: int, actor: str, outcome: str = "approved",
           reason: str = "") -> StepDecision:
    """The portal's order: record through the domain, then wake the suspended run."""
    decision = StepDecision(step_run_id=str(waiting_row(world, file_id)), outcome=outcome,
                            actor=actor, reason=reason)
    with transaction(world.db) as s:
        record_decision(s, file_id, decision.step_run_id, outcome, actor, reason=reason)
    resume_step(str(file_id), decision)
    return decision


def paused_on(run: FlowRun, step_run_id: str) -> bool:
    assert run.state is not None
    return run.state.is_paused() and run.state.state_details.pause_key == suspension_key(
        step_run_id)


def sign_both(world: World, file_id: int) -> None:
    from flows.actions.sign import session_of

    opened = session_of(world.ctx, file_id, waiting_row(world, file_id))
    assert opened is not None
    with signing_service(world.ctx, on_outcome=on_signing_outcome) as signing:
        for position, phone in ((1, "+33612345678"), (2, "+33798765432")):
            token = signing.signer_token(opened.reference, position)
            shown = signing.view(token, BROWSER)
            signing.request_code(token, BROWSER)
            signing.sign(token, world.code_for(phone), BROWSER, shown_sha256=shown.sha256)


def test_file_from_order_form_to_invoice_with_approvals_and_an_archive_outage(
    deployment: UUID, world: World, runtime: Runtime
) -> None:
    file_id = world.start_file()
    sms_before = len(world.sms())
    run_id = start(runtime, file_id)
    run = execute(run_id)
    assert paused_on(run, str(waiting_row(world, file_id)))

    for actor in ("olga", "dora", "carl"):  # order form, documents, (contract drafted) review
        decide(world, file_id, actor)
        run = execute(run_id)
    row = waiting_row(world, file_id)
    assert paused_on(run, f"{row}-signing")  # the session is open, the run holds nothing

    sign_both(world, file_id)  # the hook resumes the run (real resume through the API)
    world.store.fail_puts = 1  # the archive is down once, when the signed contract goes in
    run = execute(run_id)

    assert run.state is not None and run.state.is_completed(), run.state
    with world.db() as s:
        file = service.get_file(s, file_id)
        assert file.state == FileState.CLOSED_APPROVED
        assert {r.state for r in file.steps} == {StepState.APPROVED}
        assert len(file.steps) == 10
    # Six executions from the top and one crashed task, yet everything happened once:
    assert world.archived() == 2 and world.store.puts == 2  # signed contract + invoice
    assert world.mails("invoice-mail:") == 1
    assert world.mails("step-alert:") == 3  # order desk, documents checker, contract manager
    assert len(world.sms()) - sms_before == 2  # one code per signer


def test_rejection_sends_the_file_back_with_the_reason(
    deployment: UUID, world: World, runtime: Runtime
) -> None:
    file_id = world.start_file()
    run_id = start(runtime, file_id)
    execute(run_id)
    decide(world, file_id, "olga")
    execute(run_id)
    rejected = waiting_row(world, file_id)

    decide(world, file_id, "dora", "rejected", "Justificatif de domicile illisible")
    run = execute(run_id)

    back = waiting_row(world, file_id)
    assert back != rejected and paused_on(run, str(back))
    with world.db() as s:
        steps = {r.id: r for r in service.get_file(s, file_id).steps}
        assert steps[rejected].state == StepState.REJECTED
        assert steps[rejected].reason == "Justificatif de domicile illisible"
        assert (steps[back].step_id, steps[back].state) == ("order_form", StepState.WAITING)
    assert world.mails(f"step-alert:{back}:new") == 1  # the order desk is alerted again


def test_a_step_past_its_sla_gets_one_reminder_then_one_escalation(
    deployment: UUID, world: World, runtime: Runtime
) -> None:
    file_id = world.start_file()
    execute(start(runtime, file_id))
    row = waiting_row(world, file_id)

    world.clock.advance(hours=23)
    assert sla_reminders(now=world.clock(), reconcile=False) == 0
    world.clock.advance(hours=2)  # order form: 24 h SLA
    assert sla_reminders(now=world.clock(), reconcile=False) == 1
    assert sla_reminders(now=world.clock(), reconcile=False) == 0  # recorded: not again
    assert world.mails(f"step-alert:{row}:reminder") == 1
    world.clock.advance(hours=24)  # 48 h: escalate to the group lead
    assert sla_reminders(now=world.clock(), reconcile=False) == 1
    assert sla_reminders(now=world.clock(), reconcile=False) == 0
    assert world.mails(f"step-alert:{row}:escalation") == 1
    with world.db() as s:
        step = service.get_step(s, row)
        assert step.reminded_at is not None and step.escalated_to == "lea"
        assert step.assignee == "lea" and step.state == StepState.WAITING


def test_bad_decisions_and_resumes_are_clear_errors_and_change_nothing(
    deployment: UUID, world: World, runtime: Runtime
) -> None:
    file_id = world.start_file()
    run_id = start(runtime, file_id)
    execute(run_id)
    row = waiting_row(world, file_id)

    def snapshot() -> tuple:
        with world.db() as s:
            file = service.get_file(s, file_id)
            return file.version, [(r.id, r.state, r.decided_by) for r in file.steps]

    before = snapshot()
    with transaction(world.db) as s, pytest.raises(PermissionDenied, match="order_desk"):
        record_decision(s, file_id, str(row), "approved", "bill")  # billing may not decide
    with pytest.raises(NotWaiting, match="n'attend pas"):  # a step that is not waiting
        resume_step(str(file_id), StepDecision(step_run_id=str(row + 1), outcome="approved",
                                               actor="olga"))
    assert snapshot() == before

    decision = decide(world, file_id, "olga")
    after_first = snapshot()
    with transaction(world.db) as s, pytest.raises(ConflictError, match="déjà été traitée"):
        record_decision(s, file_id, str(row), "approved", "olga")  # double decision
    with pytest.raises(NotWaiting):  # double resume: the run is no longer suspended there
        resume_step(str(file_id), decision)
    assert snapshot() == after_first
    run = execute(run_id)
    assert paused_on(run, str(waiting_row(world, file_id)))  # supporting documents, once
    with world.db() as s:
        assert [r.step_id for r in service.get_file(s, file_id).steps] == [
            "order_form", "supporting_documents"]


INVOICE_ONLY = """
name: invoice_only
label: {fr: Facture seule, en: Invoice only}
steps:
  - {id: invoice_render, label: {fr: Édition, en: Render}, kind: invoice, mode: automatic,
     action: render, on_approve: invoice_seal, on_failure: invoice_review}
  - {id: invoice_seal, label: {fr: Cachet, en: Seal}, kind: invoice, mode: automatic,
     action: seal, on_approve: invoice_archive, on_failure: invoice_review}
  - {id: invoice_archive, label: {fr: Archivage, en: Archive}, kind: invoice, mode: automatic,
     action: archive, on_approve: close, on_failure: invoice_review}
  - {id: invoice_review, label: {fr: Contrôle, en: Check}, kind: invoice, mode: human,
     role: billing, sla_hours: 8, on_approve: invoice_render, on_reject: close}
"""


def test_an_outage_longer_than_the_retries_sends_the_invoice_to_review_then_archives_once(
    deployment: UUID, world: World, runtime: Runtime, tmp_path
) -> None:
    from application.invoicing.posting import prepare_for_file
    from dossiers.circuits import load_circuit

    (tmp_path / "invoice_only.yaml").write_text(INVOICE_ONLY)
    with transaction(world.db) as s:
        file_id = service.start_file(s, customer_id=world.customer_id, actor="sam",
                                     circuit=load_circuit(tmp_path / "invoice_only.yaml")).id
        prepare_for_file(s, file_id, _invoice(), world.ctx.profile, actor="sam")
    world.store.fail_puts = 4  # the first try and its 3 retries
    run_id = start(runtime, file_id)
    run = execute(run_id)

    review = waiting_row(world, file_id)
    assert paused_on(run, str(review))
    with world.db() as s:
        failed = service.get_file(s, file_id).steps[-2]
        assert (failed.step_id, failed.state) == ("invoice_archive", StepState.FAILED)
        assert "archive store unavailable" in (failed.reason or "")
        invoice = posting.file_invoice(s, file_id)
        assert invoice is not None and invoice.number is not None
        number = invoice.number
        assert posting.recorded_stage(s, invoice.id, posting.Stage.SEALED) is not None
    assert world.store.puts == 0 and world.store.fail_puts == 0

    decide(world, file_id, "bill", reason="Archive de nouveau disponible")
    run = execute(run_id)

    assert run.state is not None and run.state.is_completed()
    with world.db() as s:
        sealed = posting.recorded_stage(s, invoice.id, posting.Stage.SEALED)
        assert sealed is not None and sealed["number"] == number  # sealed once, kept
    assert world.store.puts == 1 and world.archived() == 1  # the same invoice, archived once


def _invoice() -> dict:
    from file_world import INVOICE

    return INVOICE
