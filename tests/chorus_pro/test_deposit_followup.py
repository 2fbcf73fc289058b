"""Deposit → integration → statuses to paid, rejections, partial flows: real client, fake server,
both databases."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.fake import FakeChorus
from connectors.chorus_pro.followup import poll_once
from documents.facturx.samples import chorus_sample
from dossiers.audit import AuditEvent
from dossiers.chorus_deposits import ChorusDeposit, DepositState, InvoiceLifecycle
from dossiers.chorus_deposits.records import find

from .helpers import EJ_BUYER, FREE_BUYER, SERVICE_BUYER, deposit_counts, inject

HOUR, DAY = 3600, 86400


@cache
def request(number: str, buyer: str = FREE_BUYER, **routing: object) -> DepositRequest:
    """The same invoice always as the same bytes (the PDF embeds its creation time)."""
    return DepositRequest(number, chorus_sample(number, buyer_siret=buyer, **routing))


def row(db: sessionmaker[Session], number: str) -> ChorusDeposit:
    with db() as session:
        found = find(session, number)
        assert found is not None
        return found


class Problems(list[tuple[str, str]]):
    def __call__(self, invoice_number: str, reason: str) -> None:
        self.append((invoice_number, reason))


def test_deposit_is_followed_through_every_status_to_paid(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    outcome = depositor.deposit(request("FA-2026-0001", SERVICE_BUYER, service_code="BIBLIO"))
    assert outcome.sent and outcome.state == DepositState.SUBMITTED
    assert outcome.flow_number and outcome.flow_number.startswith("CPP")
    assert deposit_counts(server_url) == {"FA-2026-0001": 1}

    seen: list[InvoiceLifecycle | None] = []
    progress: list[tuple[str, str]] = []
    problems = Problems()
    for seconds in (0, 5 * 60, HOUR, DAY, 2 * DAY, 15 * DAY):
        now = fake.clock.advance(seconds)
        progress += poll_once(db, client, now, on_problem=problems).progress
        seen.append(row(db, "FA-2026-0001").lifecycle)
    assert seen == [
        None,  # flow still IN_RECU
        InvoiceLifecycle.DEPOSITED,
        InvoiceLifecycle.MADE_AVAILABLE,
        InvoiceLifecycle.RECEIVED,
        InvoiceLifecycle.SERVICE_DONE,
        InvoiceLifecycle.PAID,
    ]
    assert [step for _, step in progress] == [s.value for s in seen if s is not None]
    final = row(db, "FA-2026-0001")
    assert final.state == DepositState.SETTLED and final.invoice_status == "MISE_EN_PAIEMENT"
    assert final.flow_state == "IN_INTEGRE" and final.chorus_invoice_id
    assert [h["code"] for h in final.status_history][:2] == ["DEPOSEE", "MISE_A_DISPOSITION"]
    assert problems == []
    # Polling stopped: nothing is due any more, however late it is.
    assert poll_once(db, client, fake.clock.advance(30 * DAY)).polled == 0
    with db() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == "FA-2026-0001")
        ).all()
    assert actions[:2] == ["chorus_deposit.recorded", "chorus_deposit.submitted"]
    assert actions[-1] == "chorus_deposit.settled"
    assert deposit_counts(server_url) == {"FA-2026-0001": 1}


def test_polling_stops_at_mandated_and_backs_off_while_nothing_changes(
    db: sessionmaker[Session], depositor: Depositor, client: ChorusProClient, fake: FakeChorus
) -> None:
    depositor.deposit(request("FA-2026-0002"))
    now = fake.clock.advance(5 * 60)
    poll_once(db, client, now)
    first = row(db, "FA-2026-0002").next_poll_at
    now = fake.clock.advance(30 * 60)  # nothing new until MISE_A_DISPOSITION at +1 h
    poll_once(db, client, now)
    later = row(db, "FA-2026-0002")
    assert later.idle_polls == 1
    assert first is not None and later.next_poll_at is not None
    assert later.next_poll_at - now > first - (now - timedelta(minutes=30))
    poll_once(db, client, fake.clock.advance(11 * DAY))
    settled = row(db, "FA-2026-0002")
    assert settled.state == DepositState.SETTLED
    assert settled.lifecycle == InvoiceLifecycle.MANDATED


def test_a_rejected_flow_puts_the_invoice_back_to_fix_with_the_xsd_rule(
    db: sessionmaker[Session], client: ChorusProClient, fake: FakeChorus, server_url: str
) -> None:
    # A validation that misses the problem: Chorus Pro's own XSD check catches it.
    lenient = Depositor(db, client, lambda pdf: [], clock=fake.clock.now)
    bad = DepositRequest(
        "FA-2026-0003", chorus_sample("FA-2026-0003", buyer_siret=FREE_BUYER, broken=True)
    )
    assert lenient.deposit(bad).sent
    problems = Problems()
    poll_once(db, client, fake.clock.advance(5 * 60), on_problem=problems)
    fixed = row(db, "FA-2026-0003")
    assert fixed.state == DepositState.TO_FIX and fixed.flow_state == "IN_REJETE"
    assert "ERR_XSD_001" in (fixed.reason or "") and "Unexpected" in (fixed.reason or "")
    assert problems == [("FA-2026-0003", fixed.reason)]
    assert deposit_counts(server_url) == {"FA-2026-0003": 1}


def test_recycle_and_buyer_rejection_go_back_to_fix_suspension_is_reported(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    inject(
        server_url,
        invoice_outcomes={"R-1": "A_RECYCLER", "R-2": "REJETEE", "R-3": "SUSPENDUE"},
    )
    for number in ("R-1", "R-2", "R-3"):
        depositor.deposit(request(number))
    problems = Problems()
    for seconds in (5 * 60, HOUR, DAY):
        poll_once(db, client, fake.clock.advance(seconds), on_problem=problems)
    assert row(db, "R-1").state == DepositState.TO_FIX
    assert row(db, "R-1").lifecycle == InvoiceLifecycle.TO_RECYCLE
    assert row(db, "R-2").state == DepositState.TO_FIX
    assert row(db, "R-2").lifecycle == InvoiceLifecycle.REJECTED
    suspended = row(db, "R-3")
    assert suspended.state == DepositState.SUBMITTED  # still followed
    assert suspended.lifecycle == InvoiceLifecycle.SUSPENDED
    assert [n for n, _ in problems] == ["R-1", "R-2", "R-3"]
    assert "recycler" in problems[0][1]
    poll_once(db, client, fake.clock.advance(DAY))
    assert [n for n, _ in problems] == ["R-1", "R-2", "R-3"]  # reported once


def test_partial_integration_is_handled_per_invoice(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    inject(server_url, invoice_errors={"L-2": "Montant TTC incohérent avec les lignes"})
    outcomes = depositor.deposit_batch(
        [request("L-1"), request("L-2"), request("L-3", EJ_BUYER, legal_commitment="1300012345")]
    )
    assert {o.flow_number for o in outcomes} == {outcomes[0].flow_number}  # one .tar.gz flow
    problems = Problems()
    poll_once(db, client, fake.clock.advance(5 * 60), on_problem=problems)
    assert row(db, "L-1").lifecycle == InvoiceLifecycle.DEPOSITED
    assert row(db, "L-3").chorus_invoice_id is not None
    failed = row(db, "L-2")
    assert failed.state == DepositState.TO_FIX and failed.flow_state == "IN_INTEGRE_PARTIEL"
    assert "Montant TTC incohérent" in (failed.reason or "")
    assert [n for n, _ in problems] == ["L-2"]
    assert deposit_counts(server_url) == {"L-1": 1, "L-2": 1, "L-3": 1}


def test_depositing_again_is_a_no_op(
    db: sessionmaker[Session], depositor: Depositor, server_url: str
) -> None:
    first = depositor.deposit(request("FA-2026-0010"))
    again = depositor.deposit(request("FA-2026-0010"))
    assert first.sent and not again.sent and again.state == DepositState.SUBMITTED
    assert deposit_counts(server_url) == {"FA-2026-0010": 1}
    with db() as session:
        assert session.query(ChorusDeposit).count() == 1


def test_a_wave_deposits_each_invoice_once_with_bounded_concurrency(
    db: sessionmaker[Session], depositor: Depositor, fake: FakeChorus, server_url: str
) -> None:
    depositor.deposit(request("W-00"))  # already on Chorus Pro: left alone
    wave = [request(f"W-{i:02d}") for i in range(25)] + [request("W-BAD", SERVICE_BUYER)]
    outcomes = depositor.deposit_wave(wave, concurrency=4, chunk_size=7, chunks_in_flight=2)
    assert [o.invoice_number for o in outcomes] == [r.invoice_number for r in wave]
    assert not outcomes[0].sent and all(o.sent for o in outcomes[1:25])
    assert outcomes[-1].state == DepositState.TO_FIX and not outcomes[-1].sent
    assert len({o.flow_number for o in outcomes[1:25]}) == 24  # one flow per invoice
    assert deposit_counts(server_url) == {f"W-{i:02d}": 1 for i in range(25)}
    with db() as session:
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == "W-07")
        ).all()
    assert events == ["chorus_deposit.recorded", "chorus_deposit.submitted"]


def test_an_incident_flow_is_to_fix_and_can_be_sent_again(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    inject(server_url, flow_outcomes={"INC-1": "IN_INCIDENTE"})
    depositor.deposit(request("INC-1"))
    problems = Problems()
    poll_once(db, client, fake.clock.advance(5 * 60), on_problem=problems)
    incident = row(db, "INC-1")
    assert incident.state == DepositState.TO_FIX and incident.flow_state == "IN_INCIDENTE"
    assert "redéposer" in (incident.reason or "") and problems == [("INC-1", incident.reason)]
    fake.faults.flow_outcomes.clear()
    assert depositor.deposit(request("INC-1")).sent
    assert deposit_counts(server_url) == {"INC-1": 2}  # the first one was never integrated
