"""Building a ready-to-use `SigningService` from settings (CLI, portal, flows).

SMS: with `LIASSE_TWILIO_BASE_URL` the Twilio client talks to that host; with real Twilio
credentials (an account SID other than the placeholder) it talks to Twilio; otherwise — the
embedded default — a fake Twilio server is started in-process for the duration of the block,
writing its outbox to `<home>/outbox/sms.json` (the demo prints codes from there). In every case
the real `twilio` client makes the HTTP calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from connectors.mail.factory import make_mailer
from connectors.sms.fake_twilio import FakeTwilioServer
from connectors.sms.idempotency import FileIdempotencyStore
from connectors.sms.twilio_sender import TwilioSmsSender
from liasse.settings import Settings
from signing.otp.policy import OtpPolicy
from signing.pki.context import default_signing_pki
from signing.sessions.deps import OutcomeHook, SigningDeps
from signing.sessions.mail_adapter import ConnectorMailer
from signing.sessions.service import SigningService
from signing.settings import SigningSettings

PLACEHOLDER_SID = SigningSettings.model_fields["twilio_account_sid"].default


@contextmanager
def sms_sender(s: SigningSettings) -> Iterator[TwilioSmsSender]:
    token = s.twilio_auth_token.get_secret_value()
    store = FileIdempotencyStore(s.home / "outbox" / "sms-keys.json")
    if s.twilio_base_url or s.twilio_account_sid != PLACEHOLDER_SID:
        yield TwilioSmsSender(
            s.twilio_account_sid, token, s.twilio_from, base_url=s.twilio_base_url, store=store
        )
        return
    with FakeTwilioServer(s.twilio_account_sid, token, outbox_file=s.sms_outbox_file) as fake:
        yield TwilioSmsSender(
            s.twilio_account_sid, token, s.twilio_from, base_url=fake.base_url, store=store
        )


@contextmanager
def signing_service(
    factory: sessionmaker[Session], settings: Settings, on_outcome: OutcomeHook | None = None
) -> Iterator[SigningService]:
    s = SigningSettings()
    with ExitStack() as stack:
        sms = stack.enter_context(sms_sender(s))
        deps = SigningDeps(
            factory=factory,
            pki=default_signing_pki(),
            sms=sms,
            mailer=ConnectorMailer(make_mailer(factory, settings.outbox_dir)),
            secret_key=settings.resolved_secret_key(),
            otp_policy=OtpPolicy(
                ttl=timedelta(seconds=s.otp_ttl_seconds),
                max_attempts=s.otp_max_attempts,
                max_sends=s.otp_max_sends,
                send_window=timedelta(seconds=s.otp_send_window_seconds),
            ),
            link_ttl=timedelta(seconds=s.signing_link_ttl_seconds),
            session_ttl=timedelta(days=s.signing_session_days),
            reminder_interval=timedelta(hours=s.signing_reminder_hours),
            public_base_url=s.public_base_url,
            notify_email=settings.sales_manager_email,
            on_outcome=on_outcome,
        )
        yield SigningService(deps)
