"""Notifications sent during a session, through a small `Mailer` seam.

`connectors/mail/` provides the SMTP and outbox implementations; signing depends only on this
protocol. Messages are plain text in French with the English twin below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str
    idempotency_key: str


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None:
        """Deliver once per `message.idempotency_key` (a repeated key is not delivered again),
        or raise (a `LiasseError` such as `connectors.mail.MailError`) and deliver nothing."""
        ...


def invitation(to: str, name: str, title: str, link: str, key: str, reminder: bool) -> MailMessage:
    prefix = "Rappel : " if reminder else ""
    prefix_en = "Reminder: " if reminder else ""
    return MailMessage(
        to=to,
        subject=f"{prefix}document à signer : {title}",
        body=(
            f"Bonjour {name},\n\n{prefix}le document « {title} » attend votre signature.\n"
            f"Lisez-le puis cliquez sur « Signer » : vous recevrez un code par SMS.\n\n{link}\n\n"
            f'--\n{prefix_en}the document "{title}" is waiting for your signature.\n'
            f'Read it, then click "Sign": you will receive a code by SMS.\n'
        ),
        idempotency_key=key,
    )


def outcome_notice(
    to: str, title: str, completed: bool, key: str, reason: str | None
) -> MailMessage:
    if completed:
        subject = f"Document signé par toutes les parties : {title}"
        body = (
            f"Le document « {title} » est signé par toutes les parties et scellé.\n--\n"
            f'The document "{title}" is signed by every party and sealed.\n'
        )
    else:
        subject = f"Signature refusée : {title}"
        body = (
            f"Un signataire a refusé de signer « {title} ». Motif : {reason}\n--\n"
            f'A signer declined to sign "{title}". Reason: {reason}\n'
        )
    return MailMessage(to=to, subject=subject, body=body, idempotency_key=key)
