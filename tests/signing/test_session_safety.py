"""Issue 14, items 8, 9 and 12 at the service level: a mail outage at open leaves a session
whose invitations are retried (never a duplicate), bad titles / names / PDFs are refused before
anything is written, the SMS stays short, and no code is sent before the document was viewed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from connectors.mail import SmtpMailer, SmtpSettings
from connectors.mail.models import SentMail
from dossiers.audit import AuditEvent
from signing.otp.models import OtpSend
from signing.sessions.errors import DocumentNotViewed, InvalidSessionInput
from signing.sessions.mail_adapter import ConnectorMailer
from signing.sessions.models import SigningSession
from signing.sessions.prepare import MAX_TITLE, SignerSpec
from tests.files import pdfs
from tests.mail.conftest import smtp_server  # noqa: F401 (the real SMTP server fixture)
from tests.mail.support import free_port

from .conftest import read_code
from .test_contract_flow import CUSTOMER, CUSTOMER_BROWSER, MANAGER


def sessions(db) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(SigningSession)) or 0


def outbox(fake_twilio) -> list[dict]:
    return httpx.get(f"{fake_twilio.base_url}/_outbox").json()


# --- item 12: no code, no signature before the document was viewed -------------------------
def test_code_and_signature_are_refused_until_the_signer_viewed_the_document(
    make_service, mails, fake_twilio, db, contract
) -> None:
    service = make_service()
    reference = service.open("Contrat", contract, [CUSTOMER])
    token = mails.link_for(CUSTOMER.email)
    texted = len(outbox(fake_twilio))
    with pytest.raises(DocumentNotViewed) as refused:
        service.request_code(token, CUSTOMER_BROWSER)
    assert "Ouvrez" in refused.value.fr and "open" in refused.value.en.lower()
    with pytest.raises(DocumentNotViewed):
        service.sign(token, "123456", CUSTOMER_BROWSER)
    assert len(outbox(fake_twilio)) == texted  # no SMS left
    with db() as s:
        assert s.scalar(select(func.count()).select_from(OtpSend)) == 0

    shown = service.view(token, CUSTOMER_BROWSER)
    service.request_code(token, CUSTOMER_BROWSER)
    service.sign(token, read_code(fake_twilio, "+33612345678"), CUSTOMER_BROWSER,
                 shown_sha256=shown.sha256)
    with db() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_id == reference).order_by(AuditEvent.seq)))
    # what the evidence certificate lists: the signer saw the document before the code
    assert actions.index("signing.viewed") < actions.index("signing.code_sent")
    assert actions.index("signing.code_sent") < actions.index("signing.signed")


# --- item 9: bad data refused before anything is written -------------------------------------
@pytest.mark.parametrize(("title", "signer", "needles"), [
    ("Contrat \u202eabc", CUSTOMER, ("titre", "U+202E")),
    ("Contrat\x07", CUSTOMER, ("titre", "U+0007")),
    ("Contrat", SignerSpec("Claire\u202e Dubois", "c@client.example", "0612345678", "client"),
     ("nom du signataire 1", "U+202E")),
    ("Contrat", SignerSpec("Claire\x1b[31m", "c@client.example", "0612345678", "client"),
     ("nom du signataire 1", "U+001B")),
    ("Contrat", SignerSpec("Claire", "c@client.example", "0612345678", "cli\x00ent"),
     ("rôle du signataire 1", "U+0000")),
    ("x" * 5000, CUSTOMER, ("titre", f"{MAX_TITLE} caractères")),
], ids=["title-bidi", "title-bell", "name-bidi", "name-escape", "role-nul", "title-5000"])
def test_control_characters_and_long_titles_are_refused(
    make_service, mails, db, contract, title, signer, needles
) -> None:
    service = make_service()
    with pytest.raises(InvalidSessionInput) as refused:
        service.open(title, contract, [signer])
    for needle in needles:
        assert needle in refused.value.fr, refused.value.fr
    assert sessions(db) == 0 and mails.sent == []


def test_javascript_pdf_is_refused_like_files_attach(make_service, mails, db) -> None:
    service = make_service()
    for hostile, needle in ((pdfs.pdf(pdfs.with_open_action_js), "JavaScript"),
                            (pdfs.pdf(pdfs.encrypted), "chiffré"),
                            (pdfs.png(), "image/png")):
        with pytest.raises(InvalidSessionInput, match=needle):
            service.open("Contrat", hostile, [CUSTOMER])
    assert sessions(db) == 0 and mails.sent == []


def test_the_sms_stays_short_whatever_the_title(make_service, mails, fake_twilio, contract):
    service = make_service()
    title = "Contrat d'abonnement " + "très long " * 30
    title = title[:MAX_TITLE]
    service.open(title, contract, [CUSTOMER])
    token = mails.link_for(CUSTOMER.email)
    service.view(token, CUSTOMER_BROWSER)
    service.request_code(token, CUSTOMER_BROWSER)
    body = [m["body"] for m in outbox(fake_twilio) if m["to"] == "+33612345678"][-1]
    assert len(body) <= 200, len(body)
    assert "…" in body and title[:20] in body
    assert read_code(fake_twilio, "+33612345678").isdigit()


# --- item 8: a mail outage at open ------------------------------------------------------------
@pytest.fixture
def smtp_down() -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout_seconds=2)


@pytest.fixture
def ledgered(make_service, db, smtp_down) -> Iterator:
    """The service with the production mailer (SMTP + `sent_mails` ledger), SMTP down."""
    service = make_service()
    service.deps.mailer = ConnectorMailer(SmtpMailer(smtp_down, db))
    yield service


def test_mail_outage_at_open_keeps_one_session_and_retries_the_invitation(
    ledgered, db, contract, smtp_server  # noqa: F811
) -> None:
    service = ledgered
    first = service.open_session("Contrat", contract, [CUSTOMER, MANAGER])
    assert first.created and first.unsent == (CUSTOMER.email,)
    assert first.mail_error is not None and "SMTP" in first.mail_error.fr
    assert sessions(db) == 1

    # the same input again: the same session, no duplicate, the invitation still pending
    again = service.open_session("Contrat", contract, [CUSTOMER, MANAGER])
    assert (again.reference, again.created) == (first.reference, False)
    assert again.unsent == (CUSTOMER.email,)
    assert sessions(db) == 1
    # another title is another contract: a new session
    other = service.open_session("Autre contrat", contract, [CUSTOMER, MANAGER])
    assert other.created and other.reference != first.reference
    assert sessions(db) == 2

    # the mail server is back: the retry delivers each pending invitation exactly once
    service.deps.mailer = ConnectorMailer(SmtpMailer(smtp_server.settings(), db))
    assert service.resend_invitations(first.reference).sent == (CUSTOMER.email,)
    assert service.resend_invitations(first.reference).unsent == ()
    assert service.send_reminders() == 0  # the sweep retries too, without duplicates
    delivered = [m.rcpt_tos for m in smtp_server.recorder.mails]
    assert delivered.count([CUSTOMER.email]) == 2  # one per session, never twice per session
    assert [MANAGER.email] not in delivered  # sequential: the manager comes later
    with db() as s:
        keys = s.scalars(select(SentMail.idempotency_key).where(SentMail.status == "sent"))
        assert len(list(keys)) == 2


def test_a_closed_session_does_not_swallow_a_new_one(make_service, mails, db, contract) -> None:
    service = make_service()
    first = service.open("Contrat", contract, [CUSTOMER])
    service.decline(mails.link_for(CUSTOMER.email), "Tarif erroné", CUSTOMER_BROWSER)
    second = service.open("Contrat", contract, [CUSTOMER])
    assert second != first and sessions(db) == 2


def test_a_session_past_its_deadline_does_not_swallow_a_new_one(
    make_service, db, contract, clock
) -> None:
    service = make_service()
    first = service.open("Contrat", contract, [CUSTOMER])
    assert service.open("Contrat", contract, [CUSTOMER]) == first  # a retry: the same one
    clock.advance(days=15)  # past the deadline, not yet swept by expire_overdue
    assert service.open("Contrat", contract, [CUSTOMER]) != first
    assert sessions(db) == 2
