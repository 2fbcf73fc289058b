"""The embedded outbox: one `.eml` file per key, readable by any mail client."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.alerts import STEP_LINK_PURPOSE, alert_key
from connectors.mail.models import SentMail
from connectors.mail.outbox import OutboxMailer
from dossiers.signed_links import read_token

from .support import ALERT, SECRET, alert_mail, token_from


def test_outbox_writes_one_eml_per_key(tmp_path: Path, db: sessionmaker[Session]) -> None:
    outbox = tmp_path / "outbox"
    mailer = OutboxMailer(outbox, db)

    first = mailer.send(alert_mail(), alert_key(ALERT))
    again = mailer.send(alert_mail(), alert_key(ALERT))
    other = mailer.send(alert_mail(), "another-key")

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2 and first == again != other
    assert not list(outbox.glob(".tmp-*"))
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    mail = next(m for m in parsed if m["Message-ID"] == first)
    assert mail["From"] == "Liasse <no-reply@liasse.example>"
    assert mail["To"] == "valideur@client.example, adjoint@client.example"
    payload = read_token(SECRET, STEP_LINK_PURPOSE, token_from(mail), max_age_seconds=60)
    assert payload["step_id"] == "step-7"
    with db() as session:
        assert {r.status for r in session.scalars(select(SentMail))} == {"sent"}


def test_unwritable_outbox_is_a_clear_error(tmp_path: Path, db: sessionmaker[Session]) -> None:
    import pytest

    from connectors.mail import MailError

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(MailError) as failure:
        OutboxMailer(blocker / "outbox", db).send(alert_mail(), "k")
    assert "Impossible d'écrire le courriel" in failure.value.fr
    with db() as session:
        assert session.scalars(select(SentMail)).one().status == "pending"
