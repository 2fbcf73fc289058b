"""Signing sessions beyond the happy path: parallel signing at B-LT, a document changed under a
pending code, decline, reminders, expiry, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dossiers.audit import AuditEvent
from signing.evidence.identity import IdentityEvidence
from signing.otp.errors import DocumentChanged
from signing.pades.profile import PadesLevel
from signing.sessions.deps import SessionOutcome
from signing.sessions.errors import AlreadyDone, InvalidSessionInput, SessionClosed
from signing.sessions.models import Ordering, SessionStatus, SignerState, SigningSession
from signing.sessions.prepare import SignerSpec
from signing.validation.verify import verify_pdf

from .conftest import make_signing_pki, read_code
from .test_contract_flow import CUSTOMER, CUSTOMER_BROWSER, MANAGER, MANAGER_BROWSER


def test_parallel_signing_at_b_lt_and_a_changed_document_kills_the_pending_code(
    make_service, mails, fake_twilio, contract, test_pki
) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT)
    service = make_service(pki=pki)
    reference = service.open(
        "Contrat parallèle", contract, [CUSTOMER, MANAGER], ordering=Ordering.PARALLEL
    )
    assert sorted(m.to for m in mails.sent) == sorted([CUSTOMER.email, MANAGER.email])
    customer, manager = mails.link_for(CUSTOMER.email), mails.link_for(MANAGER.email)
    service.view(customer, CUSTOMER_BROWSER)
    service.request_code(customer, CUSTOMER_BROWSER)
    customer_code = read_code(fake_twilio, "+33612345678")
    service.view(manager, MANAGER_BROWSER)
    service.request_code(manager, MANAGER_BROWSER)
    service.sign(manager, read_code(fake_twilio, "+33798765432"), MANAGER_BROWSER)
    # the manager's signature changed the document the customer's code was bound to
    with pytest.raises(DocumentChanged):
        service.sign(customer, customer_code, CUSTOMER_BROWSER)
    shown = service.view(customer, CUSTOMER_BROWSER)
    service.request_code(customer, CUSTOMER_BROWSER)
    service.sign(
        customer,
        read_code(fake_twilio, "+33612345678"),
        CUSTOMER_BROWSER,
        shown_sha256=shown.sha256,
    )
    final = service.get(reference)
    assert final.status is SessionStatus.COMPLETED
    report = verify_pdf(final.pdf, pki.trust_roots)
    assert report.ok
    assert [s.kind for s in report.signatures] == ["signature", "signature", "seal"]
    assert all(s.revocation_info for s in report.signatures)
    assert "Marc Leroy" in report.signatures[0].signer  # the manager signed first


def test_stale_view_is_refused_before_checking_the_code(
    make_service, mails, fake_twilio, contract
) -> None:
    service = make_service()
    service.open("Contrat", contract, [CUSTOMER])
    token = mails.link_for(CUSTOMER.email)
    service.view(token, CUSTOMER_BROWSER)
    service.request_code(token, CUSTOMER_BROWSER)
    with pytest.raises(DocumentChanged):
        service.sign(
            token, read_code(fake_twilio, "+33612345678"), CUSTOMER_BROWSER, shown_sha256="0" * 64
        )


def test_decline_closes_the_session_and_calls_the_hook(make_service, mails, contract) -> None:
    outcomes: list[SessionOutcome] = []
    service = make_service(on_outcome=outcomes.append)
    reference = service.open("Contrat", contract, [CUSTOMER, MANAGER], subject_ref="file:1")
    token = mails.link_for(CUSTOMER.email)
    with pytest.raises(InvalidSessionInput):
        service.decline(token, "   ", CUSTOMER_BROWSER)
    service.decline(token, "Le tarif ne correspond pas au devis.", CUSTOMER_BROWSER)
    signing = service.get(reference)
    assert signing.status is SessionStatus.DECLINED
    assert signing.signers[0].state is SignerState.DECLINED
    assert signing.signers[0].decline_reason == "Le tarif ne correspond pas au devis."
    assert [o.status for o in outcomes] == ["declined"]
    assert any("refusé" in m.subject for m in mails.sent)
    with pytest.raises(SessionClosed):
        service.request_code(token, CUSTOMER_BROWSER)
    with pytest.raises(SessionClosed):
        service.decline(token, "again", CUSTOMER_BROWSER)


def test_reminders_go_to_whoever_is_due(make_service, mails, contract, clock) -> None:
    service = make_service()
    service.open("Contrat", contract, [CUSTOMER, MANAGER])
    assert service.send_reminders() == 0
    clock.advance(days=2)
    assert service.send_reminders() == 1
    assert mails.sent[-1].to == CUSTOMER.email and mails.sent[-1].subject.startswith("Rappel")
    assert service.send_reminders() == 0  # not again until another interval passes


def test_expiry_closes_open_sessions(make_service, mails, contract, clock) -> None:
    outcomes: list[SessionOutcome] = []
    service = make_service(on_outcome=outcomes.append)
    reference = service.open("Contrat", contract, [CUSTOMER])
    clock.advance(days=15)
    assert service.expire_overdue() == [reference]
    signing = service.get(reference)
    assert signing.status is SessionStatus.EXPIRED
    assert signing.signers[0].state is SignerState.EXPIRED
    assert [o.status for o in outcomes] == ["expired"]
    with pytest.raises(SessionClosed):
        service.view(mails.link_for(CUSTOMER.email), CUSTOMER_BROWSER)


def test_signer_cannot_sign_twice(make_service, mails, fake_twilio, contract) -> None:
    service = make_service()
    service.open("Contrat", contract, [CUSTOMER, MANAGER])
    token = mails.link_for(CUSTOMER.email)
    service.view(token, CUSTOMER_BROWSER)
    service.request_code(token, CUSTOMER_BROWSER)
    service.sign(token, read_code(fake_twilio, "+33612345678"), CUSTOMER_BROWSER)
    with pytest.raises(AlreadyDone):
        service.request_code(token, CUSTOMER_BROWSER)


@pytest.mark.parametrize(
    ("signers", "pdf"),
    [
        ([], None),
        ([SignerSpec("A", "not-an-email", "0612345678", "client")], None),
        ([SignerSpec("A", "a@x.example", "12", "client")], None),
        ([CUSTOMER, CUSTOMER], None),
        ([CUSTOMER], b"%PDF-garbage"),
    ],
)
def test_bad_input_changes_nothing(make_service, mails, db, contract, signers, pdf) -> None:
    service = make_service()
    with pytest.raises(InvalidSessionInput if pdf is None else Exception) as raised:
        service.open("Contrat", pdf or contract, signers)
    assert raised.value.__class__.__module__.startswith("signing")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(SigningSession)) == 0
    assert mails.sent == []


class RecordingIdentityCheck:
    """An `IdentityCheck` provider stand-in: our own seam, answering like a provider would."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def verify(self, *, signer_email: str, signer_name: str) -> IdentityEvidence:
        self.checked.append(signer_email)
        return IdentityEvidence("pièce d'identité / ID document", "chk_123", True)


def test_identity_check_seam_runs_before_the_code_and_is_recorded(
    make_service, mails, db, contract
) -> None:
    check = RecordingIdentityCheck()
    service = make_service(identity_check=check)
    reference = service.open("Contrat", contract, [CUSTOMER])
    service.view(mails.link_for(CUSTOMER.email), CUSTOMER_BROWSER)
    service.request_code(mails.link_for(CUSTOMER.email), CUSTOMER_BROWSER)
    assert check.checked == [CUSTOMER.email]
    with db() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == reference).order_by(AuditEvent.seq)
        ).all()
    actions = [e.action for e in events]
    assert actions.index("signing.identity_checked") < actions.index("signing.code_sent")
    checked = events[actions.index("signing.identity_checked")]
    assert checked.data["reference"] == "chk_123" and checked.data["ip"] == "203.0.113.10"


def test_sms_outage_changes_nothing(make_service, mails, db, contract) -> None:
    from connectors.sms.base import SmsError
    from connectors.sms.fake_twilio import FakeTwilioServer
    from connectors.sms.twilio_sender import TwilioSmsSender
    from signing.otp.models import OtpSend

    from .conftest import TWILIO_SID, TWILIO_TOKEN

    down = FakeTwilioServer(TWILIO_SID, TWILIO_TOKEN)  # never started: nothing listens there
    service = make_service()
    service.deps.sms = TwilioSmsSender(
        TWILIO_SID, TWILIO_TOKEN, "+33700000000", base_url=down.base_url
    )
    reference = service.open("Contrat", contract, [CUSTOMER])
    service.view(mails.link_for(CUSTOMER.email), CUSTOMER_BROWSER)
    with pytest.raises(SmsError):
        service.request_code(mails.link_for(CUSTOMER.email), CUSTOMER_BROWSER)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(OtpSend)) == 0
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == reference)
        ).all()
    assert "signing.code_sent" not in actions
    assert service.get(reference).signers[0].state is SignerState.VIEWED  # as before the send
