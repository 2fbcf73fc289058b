"""Disputes and Chorus Pro problems, with the real engine, archive folder and fake Chorus Pro.

- a dispute places the invoice's archived documents on legal hold; its outcome (credit note, or
  rejection of the claim) closes it and releases the hold; a second open dispute is refused;
- the deposit step deposits a public buyer's invoice on the fake Chorus Pro (HTTP, real client)
  exactly once however often it runs; an `A_RECYCLER` reported by the follow-up alerts the
  operators once and is recorded on the invoice's file;
- a `REJETEE` arriving after the deposit closed the file reopens it at invoice review with the
  Chorus Pro reason, starts its flow run for the new waiting step and mails the operators once,
  however often the follow-up runs and the handler is called.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest
from file_world import (  # noqa: F401  (fixtures)
    ROOT,
    World,
    fake_twilio_server,
    pki_home,
    world_fixture,
)
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterIdempotencyKey
from sqlalchemy import func, select
from test_file_engine_flow import deployment, execute, paused_on, runtime  # noqa: F401

from application.invoicing import posting
from connectors.chorus_pro import ChorusProClient, ChorusSettings, poll_once
from connectors.chorus_pro.fake import FakeChorus, FakeClock, ServerThread, create_app
from dossiers.archive import place_hold, release_hold
from dossiers.archive.errors import HeldByDispute
from dossiers.archive.models import ArchivedDocument, LegalHold
from dossiers.audit.models import AuditEvent
from dossiers.chorus_deposits import DepositState
from dossiers.chorus_deposits.records import find
from dossiers.customers.service import create_customer
from dossiers.db import transaction
from dossiers.errors import ConflictError
from dossiers.files import service
from dossiers.files.models import FileStep
from dossiers.files.states import FileState, StepState
from flows.actions import StepRef, invoice_steps
from flows.actions.chorus_problems import (
    handle_problem,
    start_reopened_run,
    start_reopened_runs,
)
from flows.db_file_engine import record_decision
from flows.disputes import open_dispute
from flows.file_engine_protocol import Automatic, Done, WaitHuman
from flows.runtime import Runtime

FREE_BUYER = "13000120900019"  # known to the fake; no service code or commitment required


def run_until_wait(world: World, file_id: int) -> object:
    for _ in range(20):
        action = world.engine.next_action(str(file_id))
        if not isinstance(action, Automatic):
            return action
        world.engine.run_automatic(str(file_id), action.step_run_id, action.action,
                                   action.params)
    raise AssertionError("loops")


def archived_invoice(world: World) -> str:
    """An issued, sealed and archived invoice (as the invoice steps leave it)."""
    from file_world import INVOICE

    number = posting.issue(world.ctx, INVOICE).invoice.number
    assert number is not None
    posting.post(world.ctx, number)
    return number


def holds(world: World, number: str) -> list[bool]:
    with world.db() as s:
        return list(s.scalars(select(ArchivedDocument.legal_hold)
                              .where(ArchivedDocument.document_number == number)))


def test_dispute_holds_the_invoice_then_a_credit_note_closes_it_and_releases(
    world: World,
) -> None:
    number = archived_invoice(world)
    with transaction(world.db) as s:
        file_id = open_dispute(s, number, actor="dina", reason="Colis jamais reçu",
                               circuits_dir=ROOT / "circuits").id
    waiting = run_until_wait(world, file_id)
    assert isinstance(waiting, WaitHuman) and waiting.role == "disputes"
    assert holds(world, number) == [True]
    with transaction(world.db) as s, pytest.raises(ConflictError, match="déjà ouvert"):
        open_dispute(s, number, actor="dina", reason="encore", circuits_dir=ROOT / "circuits")

    with transaction(world.db) as s:
        record_decision(s, file_id, waiting.step_run_id, "approved", "dina",
                        named_outcome="credit_note", reason="Avoir total")
    assert run_until_wait(world, file_id) == Done("credit_note")
    assert run_until_wait(world, file_id) == Done("credit_note")  # a replay changes nothing
    assert holds(world, number) == [False]
    with world.db() as s:
        notes = s.scalars(select(ArchivedDocument.document_number)
                          .where(ArchivedDocument.document_type == "credit_note")).all()
    assert len(notes) == 1 and world.mails(f"invoice-mail:{notes[0]}") == 1


def test_a_rejected_claim_closes_the_dispute_and_releases_the_hold(world: World) -> None:
    number = archived_invoice(world)
    with transaction(world.db) as s:
        file_id = open_dispute(s, number, actor="dina", reason="Prix contesté",
                               circuits_dir=ROOT / "circuits").id
    waiting = run_until_wait(world, file_id)
    assert holds(world, number) == [True]
    with transaction(world.db) as s:
        record_decision(s, file_id, waiting.step_run_id, "rejected", "dina",
                        reason="Tarif conforme au bon de commande signé")
    assert run_until_wait(world, file_id) == Done("rejected")
    assert holds(world, number) == [False]


def _record_ids(world: World, number: str) -> list[int]:
    with world.db() as s:
        return list(s.scalars(select(ArchivedDocument.id)
                              .where(ArchivedDocument.document_number == number)))


def test_a_hold_an_open_dispute_placed_is_lifted_only_by_its_closing(world: World) -> None:
    """Issue 14 item 2: `archive hold 2 --reason Litige` then `archive release 2` lifted the
    dispute's hold while dispute file 5 was open. Each hold now names who placed it."""
    number = archived_invoice(world)
    with transaction(world.db) as s:
        file_id = open_dispute(s, number, actor="dina", reason="Colis jamais reçu",
                               circuits_dir=ROOT / "circuits").id
    waiting = run_until_wait(world, file_id)
    ids = _record_ids(world, number)
    assert holds(world, number) == [True]
    with world.db() as s:
        [dispute_hold] = s.scalars(select(LegalHold)).all()
    assert dispute_hold.dispute_file_id == file_id and dispute_hold.released_at is None

    # A person adds a hold of their own, then tries to lift them: refused, naming the dispute.
    assert len(place_hold(world.ctx.archive, ids, "Litige", actor="cli:jo")) == 1
    events = _event_count(world)
    with pytest.raises(HeldByDispute) as refused:
        release_hold(world.ctx.archive, ids, "x", actor="cli:jo")
    assert f"gelé par le litige du dossier {file_id}, toujours en cours" in refused.value.fr
    assert f"held by the dispute of file {file_id}, still open" in refused.value.en
    assert holds(world, number) == [True] and _event_count(world) == events  # nothing changed
    [row_id] = ids
    with world.db() as s:
        row = s.get_one(ArchivedDocument, row_id)
    assert world.store.head(row.key, row.version_id).legal_hold

    # The dispute's closing lifts its own hold, and only it: the person's hold stays.
    with transaction(world.db) as s:
        record_decision(s, file_id, waiting.step_run_id, "rejected", "dina",
                        reason="Livraison attestée par le transporteur")
    assert run_until_wait(world, file_id) == Done("rejected")
    with world.db() as s:
        by_owner = {h.dispute_file_id: h.released_at is None for h in s.scalars(select(LegalHold))}
    assert by_owner == {file_id: False, None: True}
    assert holds(world, number) == [True] and world.store.head(row.key, row.version_id).legal_hold

    # The dispute is closed: the person may now lift the hold they placed.
    assert len(release_hold(world.ctx.archive, ids, "Fin du contrôle", actor="cli:jo")) == 1
    assert holds(world, number) == [False]
    assert not world.store.head(row.key, row.version_id).legal_hold


def _event_count(world: World) -> int:
    with world.db() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _step_id(world: World, step_run_id: str) -> str:
    with world.db() as s:
        return service.get_step(s, int(step_run_id.split("-")[0])).step_id


def test_a_failed_hold_stops_the_dispute_until_the_hold_is_in_place(world: World) -> None:
    """Issue 14 item 3: the circuit went on to the review unheld when the hold failed
    (`on_failure: dispute_review`). Now it stops at `hold_missing`, and the review comes only
    after a hold that succeeded."""
    from file_world import INVOICE

    number = posting.issue(world.ctx, INVOICE).invoice.number  # issued, not yet archived
    assert number is not None
    with transaction(world.db) as s:
        file_id = open_dispute(s, number, actor="dina", reason="Prix contesté",
                               circuits_dir=ROOT / "circuits").id
    waiting = run_until_wait(world, file_id)
    assert isinstance(waiting, WaitHuman) and waiting.role == "disputes"
    assert _step_id(world, waiting.step_run_id) == "hold_missing"
    with world.db() as s:
        failed = s.scalars(select(FileStep).where(FileStep.file_id == file_id,
                                                  FileStep.step_id == "legal_hold")).one()
    assert failed.state == StepState.FAILED and "aucune pièce archivée" in (failed.reason or "")

    # Retrying while still nothing is archived stops there again.
    with transaction(world.db) as s:
        record_decision(s, file_id, waiting.step_run_id, "approved", "dina", reason="relancer")
    waiting = run_until_wait(world, file_id)
    assert _step_id(world, waiting.step_run_id) == "hold_missing"

    posting.post(world.ctx, number)  # the invoice is archived now
    with transaction(world.db) as s:
        record_decision(s, file_id, waiting.step_run_id, "approved", "dina",
                        reason="facture archivée, relancer le gel")
    waiting = run_until_wait(world, file_id)
    assert isinstance(waiting, WaitHuman) and _step_id(world, waiting.step_run_id) == (
        "dispute_review")
    assert holds(world, number) == [True]


@pytest.fixture
def chorus(world: World) -> Iterator[tuple[FakeChorus, str]]:
    fake = FakeChorus(clock=FakeClock(start=world.clock()))
    with ServerThread(create_app(fake)) as server:
        settings = ChorusSettings.model_validate({
            "client_id": "liasse-demo-client", "client_secret": "liasse-demo-secret",
            "technical_login": "TECH_LIASSE@cpro.fr", "technical_password": "Tech-Password-2026",
            "api_base_url": server.url, "oauth_base_url": server.url})
        world.ctx.chorus = lambda: ChorusProClient(settings, clock=fake.clock.now)
        yield fake, server.url


def test_deposit_step_deposits_once_and_a_recycle_alerts_the_operators_once(
    world: World, chorus: tuple[FakeChorus, str]
) -> None:
    fake, url = chorus
    with transaction(world.db) as s:
        buyer = create_customer(s, {
            "is_company": True, "company_name": "Rectorat de l'académie", "siret": FREE_BUYER,
            "is_public_buyer": True, "address_street": "1 rue de la Paix", "postcode": "75002",
            "city": "Paris", "email": "factures@rectorat.example", "sales_rep_login": "sam"})
        from file_world import INVOICE

        buyer_data = {**INVOICE, "customer": buyer.number}
        file = service.start_file(s, customer_id=buyer.id, actor="sam",
                                  circuit=_default_circuit(), at=world.clock())
        posting.prepare_for_file(s, file.id, buyer_data, world.ctx.profile, actor="sam")
        file_id = file.id
    step = StepRef(0, "invoice_deposit", "invoice", "deposit", {"only_public_buyers": True})
    invoice_steps.render_invoice(world.ctx, file_id, step)
    invoice_steps.seal_invoice(world.ctx, file_id, step)
    for _ in range(3):  # the task retried, the flow replayed: one deposit
        invoice_steps.deposit_invoice(world.ctx, file_id, step)
    counts = httpx.get(f"{url}/_fake/deposits").json()["counts"]
    assert list(counts.values()) == [1]
    number = next(iter(counts))

    httpx.post(f"{url}/_fake/faults", json={"invoice_outcomes": {number: "A_RECYCLER"}})
    problems: list[tuple[str, str]] = []
    with world.ctx.chorus_client() as client:
        for seconds in (300, 3600, 86400, 86400):
            poll_once(world.db, client, fake.clock.advance(seconds),
                      on_problem=lambda n, r: (problems.append((n, r)),
                                               handle_problem(world.ctx, n, r)))
    with world.db() as s:
        assert find(s, number).state == DepositState.TO_FIX
        recorded = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "file.invoice_problem",
            AuditEvent.subject_id == str(file_id)))
    assert [n for n, _ in problems] == [number] and recorded == 1
    assert world.mails(f"chorus-problem:{number}:") == 1
    assert httpx.get(f"{url}/_fake/deposits").json()["counts"] == {number: 1}


def _public_buyer_file(world: World) -> int:
    from file_world import INVOICE

    with transaction(world.db) as s:
        buyer = create_customer(s, {
            "is_company": True, "company_name": "Rectorat de l'académie", "siret": FREE_BUYER,
            "is_public_buyer": True, "address_street": "1 rue de la Paix", "postcode": "75002",
            "city": "Paris", "email": "factures@rectorat.example", "sales_rep_login": "sam"})
        file = service.start_file(s, customer_id=buyer.id, actor="sam",
                                  circuit=_default_circuit(), at=world.clock())
        posting.prepare_for_file(s, file.id, {**INVOICE, "customer": buyer.number},
                                  world.ctx.profile, actor="sam")
        return file.id


DECIDERS = {"order_desk": "olga", "documents_checker": "dora", "contract_manager": "carl"}


def _walk_to_closed(world: World, file_id: int) -> None:
    """People approve, the invoice steps run for real (render, seal, archive, send, deposit on
    the fake Chorus Pro); the contract and signature steps, not under test here, are recorded
    done through the domain."""
    for _ in range(30):
        action = world.engine.next_action(str(file_id))
        if isinstance(action, Done):
            return
        if isinstance(action, WaitHuman):
            with transaction(world.db) as s:
                record_decision(s, file_id, action.step_run_id, "approved",
                                DECIDERS[action.role])
        elif isinstance(action, Automatic) and action.params["kind"] == "invoice":
            world.engine.run_automatic(str(file_id), action.step_run_id, action.action,
                                       action.params)
        else:
            row = int(action.step_run_id.split("-")[0])
            with transaction(world.db) as s:
                service.claim_automatic(s, row, at=world.clock())
                service.complete_automatic(s, row, note="hors sujet ici", at=world.clock())
    raise AssertionError("the file never closed")


def test_a_rejection_after_closing_reopens_the_file_at_invoice_review_once(
    world: World, chorus: tuple[FakeChorus, str]
) -> None:
    fake, url = chorus
    file_id = _public_buyer_file(world)
    _walk_to_closed(world, file_id)
    counts = httpx.get(f"{url}/_fake/deposits").json()["counts"]
    assert list(counts.values()) == [1]
    number = next(iter(counts))
    with world.db() as s:
        file = service.get_file(s, file_id)
        assert (file.state, file.steps[-1].step_id) == (FileState.CLOSED_APPROVED,
                                                        "invoice_deposit")
        rows_before = len(file.steps)

    httpx.post(f"{url}/_fake/faults", json={"invoice_outcomes": {number: "REJETEE"}})
    problems: list[tuple[str, str]] = []
    woken: list[tuple[int, int]] = []

    def on_problem(n: str, r: str) -> None:
        problems.append((n, r))
        handle_problem(world.ctx, n, r, wake=lambda f, row: woken.append((f, row)))

    with world.ctx.chorus_client() as client:
        for _ in range(2):  # the follow-up runs twice (and more): one reopening, one mail
            for seconds in (300, 3600, 86400, 86400):
                poll_once(world.db, client, fake.clock.advance(seconds), on_problem=on_problem)
    assert [n for n, _ in problems] == [number]
    reason = problems[0][1]
    on_problem(number, reason)  # the handler itself called again: still nothing new

    with world.db() as s:
        assert find(s, number).state == DepositState.TO_FIX
        file = service.get_file(s, file_id)
        review = file.steps[-1]
        assert (file.state, file.current_step, len(file.steps)) == (
            FileState.IN_PROGRESS, "invoice_review", rows_before + 1)
        assert (review.state, review.role) == (StepState.WAITING, "billing")
        assert review.reason == f"Chorus Pro, facture {number} : {reason}"
        reopened = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "file.reopened",
            AuditEvent.subject_id == str(file_id))).all()
        assert [(e.actor, e.data["reason"], e.data["step_row_id"]) for e in reopened] == [
            ("system", review.reason, review.id)]
        review_id = review.id
    assert woken == [(file_id, review_id)]  # the flow run started once, for the new step
    assert world.mails(f"chorus-problem:{number}:") == 1
    assert httpx.get(f"{url}/_fake/deposits").json()["counts"] == {number: 1}
    # The flow now waits on the new step run (a new suspension key), for billing to decide.
    assert world.engine.next_action(str(file_id)) == WaitHuman(str(review_id), "billing",
                                                                review.due_at)
    _sweep_starts_it_until_decided(world, file_id, review_id)


def _sweep_starts_it_until_decided(world: World, file_id: int, review_id: int) -> None:
    """Had the wake failed (Prefect down), the sweep finds the reopened file still waiting on
    its new step and starts its run; once billing decided, there is nothing left to start."""
    swept: list[tuple[int, int]] = []
    assert start_reopened_runs(world.db, start=lambda f, r: swept.append((f, r))) == 1
    assert swept == [(file_id, review_id)]
    assert start_reopened_run(file_id, review_id) is None  # no PREFECT_API_URL: never raises
    with transaction(world.db) as s:
        record_decision(s, file_id, str(review_id), "rejected", "bill",
                        reason="Facture annulée par un avoir")
    assert start_reopened_runs(world.db, start=lambda f, r: swept.append((f, r))) == 0
    assert run_until_wait(world, file_id) == Done("rejected")


def _default_circuit():  # type: ignore[no-untyped-def]
    from dossiers.circuits import load_circuit

    return load_circuit(ROOT / "circuits" / "default.yaml")


@pytest.mark.xdist_group("prefect")
def test_a_reopened_file_gets_a_flow_run_that_waits_on_the_new_step(
    deployment: UUID, world: World, runtime: Runtime  # noqa: F811  (fixtures)
) -> None:
    """Through Prefect's real API: the handler's wake creates the file's run, which alerts
    billing and suspends on the reopened step's own key (the old run had completed)."""
    from flows.control import start_file

    file_id = world.start_file()  # a private customer: the deposit step has nothing to do
    _walk_to_closed(world, file_id)
    with world.db() as s:
        number = posting.file_invoice(s, file_id).number  # type: ignore[union-attr]
    assert handle_problem(world.ctx, number, "REJETEE : SIRET du destinataire inconnu") \
        == file_id
    with world.db() as s:
        review = service.get_file(s, file_id).steps[-1]
        assert (review.step_id, review.state) == ("invoice_review", StepState.WAITING)
    key = f"customer-file:{file_id}:{review.id}"
    with get_client(sync_client=True) as client:  # the handler's wake created the run
        made = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            idempotency_key=FlowRunFilterIdempotencyKey(any_=[key])))
    assert len(made) == 1
    run_id = made[0].id
    try:
        assert start_file(str(file_id), attempt=review.id) == run_id  # a second wake: same run
        run = execute(run_id)
        assert paused_on(run, str(review.id))
        assert world.mails(f"step-alert:{review.id}:new") == 1
    finally:
        with get_client(sync_client=True) as client:  # ids restart in every test database
            client.delete_flow_run(run_id)
