"""Test helpers: a recording SMTP handler, free ports, a sample step alert."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.smtp import AuthResult, LoginPassword

from connectors.mail import SmtpSettings
from connectors.mail.alerts import StepAlert, build_step_alert

SMTP_LOGIN = "liasse"
SMTP_PASSWORD = "s3cret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """The aiosmtpd handler: records every accepted mail and every login attempt."""

    mails: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == (SMTP_LOGIN, SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@dataclass
class SmtpServer:
    port: int
    recorder: SmtpRecorder

    def settings(self, **overrides: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "starttls": False,
            "username": SMTP_LOGIN,
            "password": SMTP_PASSWORD,
            "timeout_seconds": 5,
        }
        values.update(overrides)
        return SmtpSettings(**values)


SECRET = b"test-secret"
ALERT = StepAlert(
    file_id="F-2026-0042",
    file_label="Dossier <Boulangerie Martin> & fils",
    step_id="step-7",
    step_label="Contrôle du bon de commande",
    role="order_desk",
    due_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
)


def alert_mail(language: str = "fr", alert: StepAlert = ALERT) -> EmailMessage:
    return build_step_alert(
        alert,
        ["valideur@client.example", "adjoint@client.example"],
        secret=SECRET,
        base_url="https://liasse.example/",
        link_valid_hours=72,
        language=language,
    )


def token_from(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    url = next(w for w in body.get_content().split() if w.startswith("https://"))
    parsed = urlparse(url)
    assert parsed.path == "/steps/open"
    return parse_qs(parsed.query)["token"][0]
