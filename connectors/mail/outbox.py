"""The embedded default: each mail becomes one `.eml` file in `<LIASSE_HOME>/outbox/`.

The file name comes from the Message-ID (itself derived from the idempotency key), and the file
is written to a temporary name then renamed, so a reader never sees half a mail and a repeated
delivery overwrites the same file instead of adding one. Open the files with any mail client.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.base import MailError
from connectors.mail.ledger import LedgeredMailer


def outbox_file_name(message_id: str) -> str:
    """The `.eml` file a Message-ID is written to (the demo finds a step's alert by it)."""
    return f"{hashlib.sha256(message_id.encode()).hexdigest()[:24]}.eml"


class OutboxTransport:
    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def path_for(self, message: EmailMessage) -> Path:
        return self.folder / outbox_file_name(str(message["Message-ID"]))

    def deliver(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        target = self.path_for(message)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=policy.SMTP))
            os.replace(tmp, target)
        except OSError as exc:
            raise MailError(
                f"Impossible d'écrire le courriel dans {self.folder} ({exc}).",
                f"Cannot write the e-mail to {self.folder} ({exc}).",
            ) from exc


class OutboxMailer(LedgeredMailer):
    """Writes `.eml` files instead of sending; same idempotency ledger as SMTP."""

    def __init__(
        self,
        folder: Path,
        session_factory: sessionmaker[Session],
        sender: str = "Liasse <no-reply@liasse.example>",
        domain: str = "liasse.example",
    ) -> None:
        super().__init__(OutboxTransport(folder, sender), session_factory, domain)
