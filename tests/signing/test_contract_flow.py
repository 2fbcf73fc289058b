"""Issue 5's headline: customer then sales manager sign through the real session, codes read
from the fake Twilio over HTTP, and `liasse verify` accepts the result (and rejects a flipped
byte)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from dossiers.audit import AuditEvent
from dossiers.audit import verify as verify_chain
from liasse.cli.main import root
from signing.event_context import RequestContext
from signing.evidence.marker import find_evidence_page
from signing.otp.errors import WrongCode
from signing.sessions.deps import SessionOutcome
from signing.sessions.errors import NotYourTurn
from signing.sessions.models import SessionStatus, SignerState
from signing.sessions.prepare import SignerSpec
from signing.validation.verify import verify_pdf

from .conftest import read_code

CUSTOMER = SignerSpec("Claire Dubois", "claire.dubois@client.example", "06 12 34 56 78", "client")
MANAGER = SignerSpec(
    "Marc Leroy", "marc.leroy@liasse.example", "+33 7 98 76 54 32", "responsable commercial"
)
CUSTOMER_BROWSER = RequestContext("203.0.113.10", "Mozilla/5.0 (Customer)")
MANAGER_BROWSER = RequestContext("198.51.100.20", "Mozilla/5.0 (Manager)")


def sign_as(
    service, mails, fake_twilio, spec: SignerSpec, phone: str, request: RequestContext
) -> None:
    token = mails.link_for(spec.email)
    shown = service.view(token, request)
    service.request_code(token, request)
    service.sign(token, read_code(fake_twilio, phone), request, shown_sha256=shown.sha256)


@pytest.fixture
def signed(make_service, mails, fake_twilio, contract):
    outcomes: list[SessionOutcome] = []
    service = make_service(on_outcome=outcomes.append)
    reference = service.open(
        "Contrat d'abonnement 2026",
        contract,
        [CUSTOMER, MANAGER],
        customer_id=42,
        subject_ref="customer_file:7/step:contract",
        opened_by="vendeur@liasse.example",
    )
    # only the customer is invited first; the manager cannot act yet
    assert [m.to for m in mails.sent] == [CUSTOMER.email]
    sign_as(service, mails, fake_twilio, CUSTOMER, "+33612345678", CUSTOMER_BROWSER)
    assert mails.sent[-1].to == MANAGER.email  # the manager is invited once the customer signed
    sign_as(service, mails, fake_twilio, MANAGER, "+33798765432", MANAGER_BROWSER)
    return service, reference, outcomes


def test_two_party_signature_end_to_end(
    signed, db, signing_pki, test_pki, tmp_path: Path, monkeypatch
) -> None:
    service, reference, outcomes = signed
    final = service.get(reference)
    assert final.status is SessionStatus.COMPLETED
    assert [s.state for s in final.signers] == [SignerState.SIGNED, SignerState.SIGNED]

    # the completion hook fired once, with what the contract step needs
    assert len(outcomes) == 1 and outcomes[0].status == "completed"
    assert outcomes[0].subject_ref == "customer_file:7/step:contract"
    assert outcomes[0].signed_pdf == final.pdf

    # verification in-process: two signer signatures, then the seal, all valid and timestamped
    report = verify_pdf(final.pdf, signing_pki.trust_roots)
    assert report.ok, report
    kinds = [s.kind for s in report.signatures]
    assert kinds == ["signature", "signature", "seal"]
    assert "Claire Dubois" in report.signatures[0].signer
    assert "Marc Leroy" in report.signatures[1].signer
    assert all(s.timestamp is not None and s.timestamp_valid for s in report.signatures)
    assert report.signatures[-1].coverage == "entire-file"
    pages = len(PdfReader(BytesIO(final.pdf)).pages)
    assert report.evidence_page == pages  # appended after the 2-page contract

    # the same through `liasse verify`
    pdf_path = tmp_path / "contrat.pdf"
    pdf_path.write_bytes(final.pdf)
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIASSE_TRUST_ROOTS", str(test_pki.cert_path("root")))
    runner = CliRunner()
    result = runner.invoke(root, ["--lang", "en", "verify", str(pdf_path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("valid") >= 3
    assert "Claire Dubois" in result.output and "Marc Leroy" in result.output
    assert "seal" in result.output and "evidence page" in result.output.lower()

    # one flipped byte in the signed content: verification fails, exit code non-zero
    tampered = bytearray(final.pdf)
    position = final.pdf.index(b"stream\n") + 20  # inside the contract's first content stream
    tampered[position] ^= 0x01
    bad_path = tmp_path / "contrat-altere.pdf"
    bad_path.write_bytes(bytes(tampered))
    assert not verify_pdf(bytes(tampered), signing_pki.trust_roots).ok
    result = runner.invoke(root, ["--lang", "en", "verify", str(bad_path)])
    assert result.exit_code != 0

    # evidence: certificate sealed and listing every event; audit trail intact
    assert final.evidence_pdf is not None
    assert verify_pdf(final.evidence_pdf, signing_pki.trust_roots).ok
    assert find_evidence_page(final.evidence_pdf) is not None
    evidence_text = "".join(p.extract_text() for p in PdfReader(BytesIO(final.evidence_pdf)).pages)
    for expected in (
        "203.0.113.10",
        "198.51.100.20",
        "(Manager)",
        "Document signé",
        "Code SMS vérifié",
        "simple",
    ):
        assert expected in evidence_text
    with db() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert verify_chain(s).ok
    for action in (
        "signing.opened",
        "signing.invited",
        "signing.viewed",
        "signing.code_sent",
        "signing.code_verified",
        "signing.signed",
        "signing.completed",
    ):
        assert action in actions
    assert actions.count("signing.signed") == 2


def test_manager_cannot_sign_before_the_customer(
    make_service, mails, fake_twilio, contract
) -> None:
    service = make_service()
    reference = service.open("Contrat", contract, [CUSTOMER, MANAGER])
    manager_token = service.signer_token(reference, 2)
    with pytest.raises(NotYourTurn):
        service.request_code(manager_token, MANAGER_BROWSER)


def test_wrong_code_is_counted_and_nothing_is_signed(
    make_service, mails, fake_twilio, contract
) -> None:
    service = make_service()
    reference = service.open("Contrat", contract, [CUSTOMER])
    token = mails.link_for(CUSTOMER.email)
    before = service.get(reference).current_sha256
    service.view(token, CUSTOMER_BROWSER)
    service.request_code(token, CUSTOMER_BROWSER)
    code = read_code(fake_twilio, "+33612345678")
    with pytest.raises(WrongCode) as refused:
        service.sign(token, f"{(int(code) + 1) % 1_000_000:06d}", CUSTOMER_BROWSER)
    assert refused.value.remaining == 4
    after = service.get(reference)
    assert after.current_sha256 == before and after.signers[0].state is SignerState.CODE_SENT


def test_any_flipped_byte_in_the_signed_ranges_breaks_verification(signed, signing_pki) -> None:
    """Not only one lucky position: a spread of positions over the whole final file."""
    service, reference, _ = signed
    pdf = service.get(reference).pdf
    step = len(pdf) // 15
    for position in range(step // 2, len(pdf), step):
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01
        report = verify_pdf(bytes(tampered), signing_pki.trust_roots)
        assert not report.ok, f"flip at {position}/{len(pdf)} went unnoticed"
