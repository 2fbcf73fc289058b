"""Injected faults never cause a second deposit; bad input is stopped before any deposit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.errors import ChorusAuthError
from connectors.chorus_pro.fake import FakeChorus
from connectors.chorus_pro.followup import poll_once
from documents.facturx.samples import chorus_sample, routed_sample, xml_only_pdf
from dossiers.chorus_deposits import DepositState
from dossiers.errors import ConflictError

from .helpers import (
    EJ_BUYER,
    FREE_BUYER,
    SERVICE_BUYER,
    deposit_counts,
    inject,
    make_settings,
)
from .test_deposit_followup import request, row

AMBIGUOUS_AFTER = [
    {"kind": "status", "status": 502, "when": "after"},
    {"kind": "timeout", "seconds": 1.5},
    {"kind": "truncated"},
    {"kind": "disconnect"},
]


@pytest.mark.parametrize("fault", AMBIGUOUS_AFTER, ids=lambda f: f["kind"])
def test_ambiguous_failure_after_processing_is_looked_up_not_redeposited(
    db: sessionmaker[Session],
    depositor: Depositor,
    fake: FakeChorus,
    server_url: str,
    fault: dict,
) -> None:
    inject(server_url, next=[{**fault, "path": "deposer/flux"}])
    first = depositor.deposit(request("AMB-1"))
    assert first.state == DepositState.UNCERTAIN and not first.sent
    assert "peut-être" in (first.reason or "")
    fake.clock.advance(120)  # the flow is integrated, but the settle delay is not over
    early = depositor.deposit(request("AMB-1"))
    assert early.state == DepositState.UNCERTAIN and not early.sent
    fake.clock.advance(300)
    later = depositor.deposit(request("AMB-1"))
    assert later.state == DepositState.SUBMITTED and not later.sent  # found and adopted
    assert row(db, "AMB-1").chorus_invoice_id is not None
    assert deposit_counts(server_url) == {"AMB-1": 1}


def test_uncertain_deposit_is_adopted_by_the_follow_up(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    inject(server_url, next=[{"kind": "timeout", "seconds": 1.5, "path": "deposer/flux"}])
    depositor.deposit(request("AMB-2"))
    poll_once(db, client, fake.clock.advance(400))
    adopted = row(db, "AMB-2")
    assert adopted.state == DepositState.SUBMITTED and adopted.chorus_invoice_id
    assert not depositor.deposit(request("AMB-2")).sent
    poll_once(db, client, fake.clock.advance(16 * 86400))
    assert row(db, "AMB-2").state == DepositState.SETTLED
    assert deposit_counts(server_url) == {"AMB-2": 1}


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503, "when": "before"},
        {"kind": "status", "status": 500, "when": "before"},
    ],
    ids=["503", "500"],
)
def test_a_5xx_before_processing_is_sent_again_once_chorus_has_no_trace(
    db: sessionmaker[Session],
    depositor: Depositor,
    fake: FakeChorus,
    server_url: str,
    fault: dict,
) -> None:
    inject(server_url, next=[{**fault, "path": "deposer/flux"}])
    assert depositor.deposit(request("RETRY-1")).state == DepositState.UNCERTAIN
    assert deposit_counts(server_url) == {}
    fake.clock.advance(301)
    again = depositor.deposit(request("RETRY-1"))
    assert again.sent and again.state == DepositState.SUBMITTED
    assert row(db, "RETRY-1").attempts == 2  # the failed call, then look-up + deposit
    assert deposit_counts(server_url) == {"RETRY-1": 1}


def test_rate_limit_and_token_expiry_are_retried_transparently(
    depositor: Depositor, server_url: str, sleeps: list[float]
) -> None:
    depositor.deposit(request("RL-0"))  # a token is now cached
    inject(
        server_url,
        expire_tokens=True,
        next=[{"kind": "rate_limit", "retry_after": 3, "path": "deposer/flux"}],
    )
    outcome = depositor.deposit(request("RL-1"))
    assert outcome.sent and outcome.state == DepositState.SUBMITTED
    assert sleeps == [3.0]
    assert deposit_counts(server_url) == {"RL-0": 1, "RL-1": 1}


def test_latency_is_tolerated(depositor: Depositor, server_url: str) -> None:
    inject(server_url, latency_ms=100)
    assert depositor.deposit(request("SLOW-1")).sent
    inject(server_url, latency_ms=0)


def test_parallel_attempts_on_one_invoice_send_it_once(
    db: sessionmaker[Session], depositor: Depositor, server_url: str
) -> None:
    inject(server_url, latency_ms=50)
    req = request("PAR-1")
    results: list[object] = []

    def attempt() -> None:
        try:
            results.append(depositor.deposit(req).sent)
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inject(server_url, latency_ms=0)
    assert results.count(True) == 1
    assert deposit_counts(server_url) == {"PAR-1": 1}


# --- bad input: a clear reason, nothing deposited ------------------------------------------------
@pytest.mark.parametrize(
    ("buyer", "routing", "expected"),
    [
        (SERVICE_BUYER, {}, "exige un code service"),
        (SERVICE_BUYER, {"service_code": "ANCIEN"}, "n'est plus actif"),
        (SERVICE_BUYER, {"service_code": "ACHATS"}, "exige un numéro d'engagement juridique"),
        (EJ_BUYER, {}, "(BT-13)"),
        (EJ_BUYER, {"legal_commitment": "EJ-INCONNU"}, "EJ-INCONNU est inconnu"),
        ("12000340500012", {}, "12000340500012 est inconnu de Chorus Pro"),
        ("12000340500013", {}, "SIRET invalide"),
    ],
    ids=[
        "no-service",
        "inactive-service",
        "service-needs-ej",
        "no-ej",
        "unknown-ej",
        "unknown-siret",
        "bad-siret",
    ],
)
def test_invoices_that_would_bounce_wait_in_to_fix(
    db: sessionmaker[Session],
    depositor: Depositor,
    server_url: str,
    buyer: str,
    routing: dict,
    expected: str,
) -> None:
    outcome = depositor.deposit(request("BAD-1", buyer, **routing))
    assert outcome.state == DepositState.TO_FIX and not outcome.sent
    assert expected in (outcome.reason or "")
    assert row(db, "BAD-1").reason == outcome.reason
    assert deposit_counts(server_url) == {}


def test_a_fixed_invoice_is_deposited_after_to_fix(
    db: sessionmaker[Session], depositor: Depositor, server_url: str
) -> None:
    assert depositor.deposit(request("FIX-1", EJ_BUYER)).state == DepositState.TO_FIX
    fixed = depositor.deposit(request("FIX-1", EJ_BUYER, legal_commitment="1300054321"))
    assert fixed.sent and row(db, "FIX-1").attempts == 2
    assert deposit_counts(server_url) == {"FIX-1": 1}


def test_failing_facturx_validation_names_the_rules(
    db: sessionmaker[Session], client: ChorusProClient, fake: FakeChorus, server_url: str
) -> None:
    from documents.facturx.check import check_facturx

    strict = Depositor(db, client, check_facturx, clock=fake.clock.now)
    # Routable, XSD-valid, but without the mandatory French notes (BR-FR-05).
    pdf = xml_only_pdf(routed_sample("DOC-1", buyer_siret=FREE_BUYER), legal_notes=False)
    outcome = strict.deposit(DepositRequest("DOC-1", pdf))
    assert outcome.state == DepositState.TO_FIX
    assert "BR-FR" in (outcome.reason or "")
    assert deposit_counts(server_url) == {}


def test_pdf_number_must_match_the_invoice(depositor: Depositor, server_url: str) -> None:
    pdf = chorus_sample("OTHER-9", buyer_siret=FREE_BUYER)
    outcome = depositor.deposit(DepositRequest("MINE-1", pdf))
    assert outcome.state == DepositState.TO_FIX and "OTHER-9" in (outcome.reason or "")
    assert deposit_counts(server_url) == {}


def test_expired_credentials_stop_everything_with_the_setting_to_fix(
    db: sessionmaker[Session], fake: FakeChorus, server_url: str
) -> None:
    inject(server_url, expire_accounts=["TECH_LIASSE@cpro.fr"])
    with ChorusProClient(make_settings(server_url), clock=fake.clock.now) as client:
        depositor = Depositor(db, client, lambda pdf: [], clock=fake.clock.now)
        with pytest.raises(ChorusAuthError, match="LIASSE_CHORUS_TECHNICAL_PASSWORD"):
            depositor.deposit(request("CRED-1"))
    failed = row(db, "CRED-1")
    assert failed.state == DepositState.FAILED and "expiré" in (failed.reason or "")
    assert deposit_counts(server_url) == {}


def test_a_wrong_client_secret_names_the_piste_setting(
    db: sessionmaker[Session], fake: FakeChorus, server_url: str
) -> None:
    settings = make_settings(server_url, client_secret="expired")
    with ChorusProClient(settings, clock=fake.clock.now) as client:
        depositor = Depositor(
            db, client, lambda pdf: [], clock=fake.clock.now, reconcile_after=timedelta(0)
        )
        with pytest.raises(ChorusAuthError, match="LIASSE_CHORUS_CLIENT_SECRET"):
            depositor.deposit(request("CRED-2"))
    assert deposit_counts(server_url) == {}


def test_faults_while_polling_are_replayed_or_reported_without_losing_the_deposit(
    db: sessionmaker[Session],
    depositor: Depositor,
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
) -> None:
    depositor.deposit(request("POLL-1"))
    inject(
        server_url,
        next=[
            {"kind": "truncated", "path": "consulterCRDetaille"},
            {"kind": "status", "status": 503, "path": "rechercher/fournisseur"},
            {"kind": "disconnect", "path": "consulter/historique"},
        ],
    )
    report = poll_once(db, client, fake.clock.advance(400))
    assert report.errors == [] and row(db, "POLL-1").invoice_status == "DEPOSEE"
    inject(
        server_url,
        next=[{"kind": "status", "status": 502, "times": 10, "path": "consulter/historique"}],
    )
    report = poll_once(db, client, fake.clock.advance(2 * 3600))
    assert [n for n, _ in report.errors] == ["POLL-1"]
    stuck = row(db, "POLL-1")
    assert stuck.state == DepositState.SUBMITTED and stuck.idle_polls == 1
    assert "502" in (stuck.reason or "")
    fake.faults.queue.clear()
    poll_once(db, client, fake.clock.advance(3600))
    recovered = row(db, "POLL-1")
    assert recovered.invoice_status == "MISE_A_DISPOSITION" and recovered.reason is None
    assert deposit_counts(server_url) == {"POLL-1": 1}


def test_two_overlapping_waves_send_each_invoice_once(
    db: sessionmaker[Session], depositor: Depositor, server_url: str
) -> None:
    inject(server_url, latency_ms=30)
    wave = [request(f"OV-{i}") for i in range(8)]
    results: list[list] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(depositor.deposit_wave(wave, concurrency=4, chunk_size=8))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inject(server_url, latency_ms=0)
    assert errors == []
    sent = [o.invoice_number for outcomes in results for o in outcomes if o.sent]
    assert sorted(sent) == sorted(r.invoice_number for r in wave)
    assert deposit_counts(server_url) == {f"OV-{i}": 1 for i in range(8)}


def test_a_claim_racing_another_workers_insert_is_a_conflict_not_a_crash(
    db: sessionmaker[Session], depositor: Depositor, fake: FakeChorus, server_url: str
) -> None:
    from dossiers.chorus_deposits.records import claim

    other = db()
    claim(
        other,
        None,
        "RACE-1",
        file_name="RACE-1.pdf",
        content_sha256="0" * 64,
        now=fake.clock.now(),
        lease=timedelta(minutes=10),
    )  # inserted, not committed yet
    outcomes: list = []
    wave = threading.Thread(
        target=lambda: outcomes.extend(
            depositor.deposit_wave([request("RACE-0"), request("RACE-1")], concurrency=2)
        )
    )
    wave.start()
    wave.join(timeout=0.5)  # the wave now waits on the other worker's row (or its lock)
    other.commit()
    other.close()
    wave.join()
    by_number = {o.invoice_number: o for o in outcomes}
    assert by_number["RACE-0"].sent
    assert not by_number["RACE-1"].sent and "déjà en cours" in (by_number["RACE-1"].reason or "")
    assert deposit_counts(server_url) == {"RACE-0": 1}
