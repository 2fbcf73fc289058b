"""`LedgeredMailer`: idempotent delivery over any transport, recorded in `sent_mails`.

Order of operations (the architecture's "key stored before the call"):
1. one transaction claims the key: a `sent` row ends here and returns its id; otherwise the row
   is created (or found) `pending` and its attempt counted;
2. the transport delivers, outside any transaction (no lock held during network I/O);
3. a second transaction marks the row `sent` and appends the `mail.sent` audit event.
A transport failure raises `MailError` and leaves the row `pending` with the error: nothing is
recorded as sent, and the next call tries again.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.base import MailError, recipients_of, stamp
from connectors.mail.models import SentMail
from dossiers.audit import record
from dossiers.db import for_update, transaction, utcnow


class Transport(Protocol):
    def deliver(self, message: EmailMessage) -> None:
        """Hand the message over, or raise `MailError`."""
        ...


class LedgeredMailer:
    def __init__(
        self, transport: Transport, session_factory: sessionmaker[Session], domain: str
    ) -> None:
        self.transport = transport
        self.session_factory = session_factory
        self.domain = domain

    def send(self, message: EmailMessage, idempotency_key: str) -> str:
        if not idempotency_key or len(idempotency_key) > 200:
            raise ValueError("idempotency_key must be 1 to 200 characters")
        message_id = stamp(message, idempotency_key, self.domain)
        already = self._claim(message, idempotency_key, message_id)
        if already is not None:
            return already
        try:
            self.transport.deliver(message)
        except MailError as exc:
            self._remember_failure(idempotency_key, exc)
            raise
        self._mark_sent(idempotency_key)
        return message_id

    def _claim(self, message: EmailMessage, key: str, message_id: str) -> str | None:
        """Return the id of an already-sent mail, or record a pending attempt and return None."""
        for _ in range(2):  # a concurrent first claim loses the unique race once, then reads
            try:
                with transaction(self.session_factory) as session:
                    row = _row(session, key)
                    if row is not None and row.status == "sent":
                        return row.message_id
                    if row is None:
                        row = SentMail(
                            idempotency_key=key,
                            message_id=message_id,
                            subject=str(message.get("Subject", ""))[:500],
                            recipients=recipients_of(message),
                            status="pending",
                            attempts=0,
                        )
                        session.add(row)
                    row.attempts += 1
                    return None
            except IntegrityError:
                continue
        raise MailError(
            "Envoi du courriel impossible : la clé d'idempotence est disputée.",
            "Cannot send the e-mail: the idempotency key is contended.",
        )

    def _remember_failure(self, key: str, exc: MailError) -> None:
        with transaction(self.session_factory) as session:
            row = _row(session, key)
            if row is not None:
                row.last_error = exc.en[:500]

    def _mark_sent(self, key: str) -> None:
        with transaction(self.session_factory) as session:
            row = _row(session, key)
            assert row is not None, "claimed row vanished"
            row.status = "sent"
            row.sent_at = utcnow()
            row.last_error = None
            record(
                session,
                "mail.sent",
                subject_type="mail",
                subject_id=key,
                data={
                    "message_id": row.message_id,
                    "subject": row.subject,
                    "recipients": row.recipients,
                    "attempts": row.attempts,
                },
            )


def _row(session: Session, key: str) -> SentMail | None:
    query = select(SentMail).where(SentMail.idempotency_key == key)
    if for_update(session):
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def was_sent(session_factory: sessionmaker[Session], key: str) -> bool:
    with session_factory() as session:
        row = session.scalars(select(SentMail).where(SentMail.idempotency_key == key)).first()
        return row is not None and row.status == "sent"
