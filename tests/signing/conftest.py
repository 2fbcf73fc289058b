"""Signing fixtures: the certomancer PKI (session-wide), the fake Twilio server, a mail collector.

The PKI and the fake Twilio run once per test process on 127.0.0.1; each test gets its own
database (from the shared `db` fixture) and its own mail collector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import weasyprint

from connectors.sms.fake_twilio import FakeTwilioServer
from connectors.sms.twilio_sender import TwilioSmsSender
from signing.certificates import load_pem_certs
from signing.pades.profile import PadesLevel
from signing.pades.timestamps import http_timestamper
from signing.pki.seal_credentials import load_seal_signer
from signing.pki.signing_ca import SigningCA
from signing.pki.signing_pki import SigningPki
from signing.sessions.deps import SigningDeps
from signing.sessions.notify import MailMessage
from signing.sessions.service import SigningService

from .certomancer_pki import TestPki, running_test_pki
from .clock import ManualClock

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "test-token"


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    with running_test_pki(tmp_path_factory.mktemp("certomancer")) as pki:
        yield pki


def make_signing_pki(
    test_pki: TestPki, level: PadesLevel = PadesLevel.B_T, seal_level: PadesLevel | None = None
) -> SigningPki:
    roots = load_pem_certs(test_pki.cert_path("root"))
    return SigningPki(
        signing_ca=SigningCA.from_files(
            test_pki.cert_path("signing-ca"),
            test_pki.key_path("signing-ca"),
            crl_url=test_pki.signing_ca_crl_url,
        ),
        seal_signer=load_seal_signer(test_pki.cert_path("seal"), test_pki.key_path("seal")),
        timestamper=http_timestamper(test_pki.tsa_url),
        trust_roots=roots,
        level=level,
        seal_level=seal_level,
        company_name="Liasse Test",
    )


@pytest.fixture(scope="session")
def signing_pki(test_pki: TestPki) -> SigningPki:
    return make_signing_pki(test_pki)


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer(TWILIO_SID, TWILIO_TOKEN) as server:
        yield server


class MailCollector:
    """Our own `Mailer` seam, collecting messages in memory (not a mock of the code under test);
    idempotent by key like the real mailers (a repeated key is not collected again)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        if any(m.idempotency_key == message.idempotency_key for m in self.sent):
            return
        self.sent.append(message)

    def link_for(self, email: str) -> str:
        message = [m for m in self.sent if m.to == email and "/sign/" in m.body][-1]
        match = re.search(r"/sign/(\S+)", message.body)
        assert match, message.body
        return match.group(1)


def read_code(server: FakeTwilioServer, phone: str) -> str:
    """The last code texted to `phone`, read from the fake Twilio's outbox over HTTP."""
    messages = httpx.get(f"{server.base_url}/_outbox").json()
    bodies = [m["body"] for m in messages if m["to"] == phone]
    assert bodies, f"no SMS to {phone}"
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match
    return match.group(1)


@pytest.fixture
def mails() -> MailCollector:
    return MailCollector()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def make_service(db, signing_pki, fake_twilio, mails, clock):
    def build(**overrides: object) -> SigningService:
        deps = SigningDeps(
            factory=db,
            pki=overrides.pop("pki", signing_pki),  # type: ignore[arg-type]
            sms=TwilioSmsSender(
                TWILIO_SID, TWILIO_TOKEN, "+33700000000", base_url=fake_twilio.base_url
            ),
            mailer=mails,
            secret_key=b"s" * 32,
            clock=clock,
            notify_email="direction.commerciale@liasse.example",
            **overrides,  # type: ignore[arg-type]
        )
        return SigningService(deps)

    return build


def contract_pdf(pages: int = 2) -> bytes:
    body = "".join(
        f"<h1>Contrat d'abonnement — page {i + 1}</h1><p>Clauses…</p>"
        '<p style="page-break-after: always"></p>'
        for i in range(pages - 1)
    )
    body += "<h1>Signatures</h1><p>Fait en deux exemplaires.</p>"
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()


@pytest.fixture(scope="session")
def contract() -> bytes:
    return contract_pdf()


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    return tmp_path / "home"
