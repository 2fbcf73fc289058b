"""End to end with the documents package: its Factur-X generator and its full check."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.fake import FakeChorus
from connectors.chorus_pro.followup import poll_once
from connectors.chorus_pro.routing import read_routing
from dossiers.chorus_deposits import DepositState, InvoiceLifecycle

from .helpers import deposit_counts
from .test_deposit_followup import row


@pytest.fixture(scope="module")
def public_invoice_pdf() -> bytes:
    from documents.facturx.issue import build_facturx_pdf
    from documents.facturx.samples import sample_invoice
    from documents.profile import demo_profile

    return build_facturx_pdf(sample_invoice("public"), demo_profile())


def test_a_generated_public_invoice_is_checked_deposited_and_followed(
    db: sessionmaker[Session],
    client: ChorusProClient,
    fake: FakeChorus,
    server_url: str,
    public_invoice_pdf: bytes,
) -> None:
    from documents.facturx.check import check_facturx

    routing = read_routing(public_invoice_pdf)
    assert routing.buyer_siret == "55203253400018"  # GlobalID schemeID 0009
    assert routing.service_code == "SERV-BIBLIO-01"
    assert routing.legal_commitment == "EJ-2026-0042-7781"
    depositor = Depositor(db, client, check_facturx, clock=fake.clock.now)
    outcome = depositor.deposit(DepositRequest(routing.invoice_number, public_invoice_pdf))
    assert outcome.sent and outcome.state == DepositState.SUBMITTED, outcome.reason
    poll_once(db, client, fake.clock.advance(3600 + 600))
    followed = row(db, routing.invoice_number)
    assert followed.flow_state == "IN_INTEGRE"
    assert followed.lifecycle == InvoiceLifecycle.MADE_AVAILABLE
    assert deposit_counts(server_url) == {routing.invoice_number: 1}
