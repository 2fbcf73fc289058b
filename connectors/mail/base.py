"""The mail interface Liasse depends on, its error, and deterministic message ids.

`send` is idempotent by key: the same key is delivered once, and every later call returns the
first call's message id without sending. The Message-ID header is derived from the key, so even
the one unavoidable duplicate (a crash after the SMTP server accepted the mail but before we
recorded it) carries the same Message-ID and mail clients thread or drop it as one message.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from typing import Protocol

from dossiers.errors import LiasseError


class MailError(LiasseError):
    """The mail could not be handed to the SMTP server (down, refused, bad credentials)."""

    exit_code = 31


class Mailer(Protocol):
    def send(self, message: EmailMessage, idempotency_key: str) -> str:
        """Deliver `message` once per key; returns its Message-ID (also on a repeated key)."""
        ...


def message_id_for(idempotency_key: str, domain: str) -> str:
    """A stable RFC 5322 Message-ID for a key: same key, same id, on every machine."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def stamp(message: EmailMessage, idempotency_key: str, domain: str) -> str:
    """Set the deterministic Message-ID (replacing any) and return it."""
    message_id = message_id_for(idempotency_key, domain)
    del message["Message-ID"]
    message["Message-ID"] = message_id
    return message_id


def recipients_of(message: EmailMessage) -> list[str]:
    """Every address in To, Cc and Bcc (Bcc is stripped from the wire by smtplib)."""
    from email.utils import getaddresses

    fields = [v for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    return [address for _name, address in getaddresses(fields) if address]
