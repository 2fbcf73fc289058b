"""Choosing the mailer: SMTP when a host is configured, the outbox folder otherwise."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.ledger import LedgeredMailer
from connectors.mail.outbox import OutboxMailer
from connectors.mail.settings import SmtpSettings
from connectors.mail.smtp import SmtpMailer


def make_mailer(
    session_factory: sessionmaker[Session],
    outbox_dir: Path,
    settings: SmtpSettings | None = None,
) -> LedgeredMailer:
    settings = settings or SmtpSettings()
    if settings.host:
        return SmtpMailer(settings, session_factory)
    return OutboxMailer(
        outbox_dir, session_factory, sender=settings.sender, domain=settings.message_id_domain
    )
