"""E-mail: the `Mailer` interface, the SMTP mailer, the `.eml` outbox and step-alert messages.

Callers depend on `Mailer` only; `make_mailer` picks SMTP when `LIASSE_SMTP_HOST` is set and the
embedded outbox folder otherwise.
"""

from connectors.mail.base import Mailer, MailError, message_id_for
from connectors.mail.factory import make_mailer
from connectors.mail.outbox import OutboxMailer
from connectors.mail.settings import SmtpSettings
from connectors.mail.smtp import SmtpMailer

__all__ = [
    "MailError",
    "Mailer",
    "OutboxMailer",
    "SmtpMailer",
    "SmtpSettings",
    "make_mailer",
    "message_id_for",
]
