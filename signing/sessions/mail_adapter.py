"""Bridges the session's small `Mailer` seam to `connectors.mail` (SMTP or `.eml` outbox)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from signing.sessions.notify import MailMessage


class EmailMailer(Protocol):
    """`connectors.mail`'s interface: idempotent by key, returns the Message-ID."""

    def send(self, message: EmailMessage, idempotency_key: str) -> str: ...


class ConnectorMailer:
    def __init__(self, mailer: EmailMailer) -> None:
        self.mailer = mailer

    def send(self, message: MailMessage) -> None:
        email = EmailMessage()
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        self.mailer.send(email, message.idempotency_key)
