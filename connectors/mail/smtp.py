"""Delivery over SMTP with the standard library's smtplib (STARTTLS and login optional).

Every failure to hand the mail over (connection refused, timeout, TLS or login refused, a
recipient rejected) becomes one `MailError` with a sentence an operator can act on.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.base import MailError
from connectors.mail.ledger import LedgeredMailer
from connectors.mail.settings import SmtpSettings


class SmtpTransport:
    def __init__(self, settings: SmtpSettings) -> None:
        if not settings.host:
            raise ValueError("SmtpTransport needs LIASSE_SMTP_HOST")
        self.settings = settings

    def deliver(self, message: EmailMessage) -> None:
        s = self.settings
        if "From" not in message:
            message["From"] = s.sender
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds) as client:
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    password = s.password.get_secret_value() if s.password else ""
                    client.login(s.username, password)
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"Le serveur SMTP {s.host}:{s.port} a refusé l'identifiant {s.username!r}.",
                f"The SMTP server {s.host}:{s.port} refused the login {s.username!r}.",
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise MailError(
                f"Le serveur SMTP a refusé les destinataires : {refused}.",
                f"The SMTP server refused the recipients: {refused}.",
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"Serveur SMTP {s.host}:{s.port} injoignable ou en erreur ({exc}) ; "
                "le courriel n'est pas parti.",
                f"SMTP server {s.host}:{s.port} unreachable or failing ({exc}); "
                "the e-mail was not sent.",
            ) from exc


class SmtpMailer(LedgeredMailer):
    """The production mailer: SMTP delivery, idempotent through the `sent_mails` ledger."""

    def __init__(self, settings: SmtpSettings, session_factory: sessionmaker[Session]) -> None:
        super().__init__(SmtpTransport(settings), session_factory, settings.message_id_domain)
