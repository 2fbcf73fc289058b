"""SMTP delivery against a real SMTP server: content, idempotency, failures, credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.mail import MailError, SmtpMailer, SmtpSettings, make_mailer, message_id_for
from connectors.mail.alerts import (
    STEP_LINK_PURPOSE,
    StepAlert,
    alert_key,
)
from connectors.mail.models import SentMail
from connectors.mail.outbox import OutboxMailer
from dossiers.audit import AuditEvent
from dossiers.signed_links import InvalidLink, read_token

from .support import (
    ALERT,
    SECRET,
    SMTP_LOGIN,
    SMTP_PASSWORD,
    SmtpServer,
    alert_mail,
    free_port,
    token_from,
)


def test_alert_reaches_the_smtp_server_with_a_link_to_the_step(
    smtp_server: SmtpServer, db: sessionmaker[Session]
) -> None:
    mailer = SmtpMailer(smtp_server.settings(), db)

    message_id = mailer.send(alert_mail(), alert_key(ALERT))

    [received] = smtp_server.recorder.mails
    assert received.rcpt_tos == ["valideur@client.example", "adjoint@client.example"]
    assert received.mail_from == "no-reply@liasse.example"
    mail = received.message
    assert mail["Subject"] == (
        "[Liasse] À valider : Contrôle du bon de commande — Dossier <Boulangerie Martin> & fils"
    )
    assert mail["Message-ID"] == message_id == message_id_for(alert_key(ALERT), "liasse.example")
    payload = read_token(SECRET, STEP_LINK_PURPOSE, token_from(mail), max_age_seconds=3600)
    assert payload == {"file_id": "F-2026-0042", "step_id": "step-7", "role": "order_desk"}
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Dossier &lt;Boulangerie Martin&gt; &amp; fils" in html  # user text is escaped
    assert "Ce lien est valable 72 heures." in html
    assert "À traiter avant : 2026-12-01 09:30 UTC" in mail.get_body(("plain",)).get_content()
    assert smtp_server.recorder.logins == [(SMTP_LOGIN, SMTP_PASSWORD)]


def test_the_link_cannot_be_used_for_another_purpose_or_after_expiry(
    smtp_server: SmtpServer, db: sessionmaker[Session]
) -> None:
    SmtpMailer(smtp_server.settings(), db).send(alert_mail(), alert_key(ALERT))
    token = token_from(smtp_server.recorder.mails[0].message)
    with pytest.raises(InvalidLink):
        read_token(SECRET, "signing", token, max_age_seconds=3600)
    with pytest.raises(InvalidLink):
        read_token(SECRET, STEP_LINK_PURPOSE, token, max_age_seconds=-1)


def test_english_alert() -> None:
    mail = alert_mail("en", StepAlert(**{**ALERT.__dict__, "kind": "reminder"}))
    assert mail["Subject"].startswith("[Liasse] Reminder: Contrôle du bon de commande")
    text = mail.get_body(("plain",)).get_content()
    assert "Reminder: this step is overdue" in text
    assert "Due by: 2026-12-01 09:30 UTC" in text
    assert mail["Content-Language"] == "en"


def test_same_key_twice_sends_one_mail(smtp_server: SmtpServer, db: sessionmaker[Session]) -> None:
    mailer = SmtpMailer(smtp_server.settings(), db)
    first = mailer.send(alert_mail(), alert_key(ALERT))
    second = mailer.send(alert_mail(), alert_key(ALERT))

    assert first == second
    assert len(smtp_server.recorder.mails) == 1
    with db() as session:
        [row] = session.scalars(select(SentMail)).all()
        assert (row.status, row.attempts, row.message_id) == ("sent", 1, first)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.sent"))
        assert [e.subject_id for e in events] == [alert_key(ALERT)]


def test_a_reminder_is_a_different_mail(smtp_server: SmtpServer, db: sessionmaker[Session]) -> None:
    mailer = SmtpMailer(smtp_server.settings(), db)
    reminder = StepAlert(**{**ALERT.__dict__, "kind": "reminder"})
    mailer.send(alert_mail(), alert_key(ALERT))
    mailer.send(alert_mail(alert=reminder), alert_key(reminder))
    subjects = [m.message["Subject"] for m in smtp_server.recorder.mails]
    assert [s.split(" : ")[0] for s in subjects] == ["[Liasse] À valider", "[Liasse] Relance"]


def test_smtp_down_is_a_clear_error_and_nothing_is_recorded_as_sent(
    smtp_server: SmtpServer, db: sessionmaker[Session]
) -> None:
    down = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout_seconds=2)
    with pytest.raises(MailError) as failure:
        SmtpMailer(down, db).send(alert_mail(), alert_key(ALERT))
    assert "injoignable" in failure.value.fr and "unreachable" in failure.value.en

    with db() as session:
        [row] = session.scalars(select(SentMail)).all()
        assert row.status == "pending" and row.sent_at is None and row.last_error
        assert session.scalars(select(AuditEvent)).all() == []

    # The server comes back: the retry delivers exactly once, under the same Message-ID.
    message_id = SmtpMailer(smtp_server.settings(), db).send(alert_mail(), alert_key(ALERT))
    assert [m.message["Message-ID"] for m in smtp_server.recorder.mails] == [message_id]
    with db() as session:
        row = session.scalars(select(SentMail)).one()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_wrong_password_is_a_clear_error(
    smtp_server: SmtpServer, db: sessionmaker[Session]
) -> None:
    with pytest.raises(MailError) as failure:
        SmtpMailer(smtp_server.settings(password="nope"), db).send(alert_mail(), "k-1")
    assert "refusé l'identifiant 'liasse'" in failure.value.fr
    assert smtp_server.recorder.mails == []


def test_credentials_come_from_liasse_smtp_environment(
    smtp_server: SmtpServer,
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(smtp_server.port),
        "STARTTLS": "false",
        "USERNAME": SMTP_LOGIN,
        "PASSWORD": SMTP_PASSWORD,
        "SENDER": "Circuits <circuits@client.example>",
    }.items():
        monkeypatch.setenv(f"LIASSE_SMTP_{name}", value)
    mailer = make_mailer(db, outbox_dir=tmp_path / "outbox")
    assert isinstance(mailer, SmtpMailer)
    mailer.send(alert_mail(), "k-env")
    assert smtp_server.recorder.logins == [(SMTP_LOGIN, SMTP_PASSWORD)]
    assert smtp_server.recorder.mails[0].mail_from == "circuits@client.example"
    assert "s3cret" not in repr(SmtpSettings())
    assert not (tmp_path / "outbox").exists()  # SMTP configured: nothing written locally


def test_without_smtp_host_the_factory_writes_to_the_outbox(
    db: sessionmaker[Session], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIASSE_SMTP_HOST", raising=False)
    mailer = make_mailer(db, outbox_dir=tmp_path / "outbox")
    assert isinstance(mailer, OutboxMailer)
