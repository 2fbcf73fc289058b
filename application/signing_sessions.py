"""Building a ready-to-use `SigningService` from the composition root (CLI, portal, flows).

SMS goes through the real `twilio` client in every case; `LIASSE_SMS_BACKEND` says to whom,
explicitly (never guessed from a placeholder account):

- `fake` (the embedded default): a fake Twilio server, speaking Twilio's REST contract, started
  in-process for the duration of the block; it writes its outbox to `<home>/outbox/sms.json`
  (the demo prints codes from there). No SMS reaches a phone, and the CLI says so.
- `twilio`: Twilio itself with `LIASSE_TWILIO_ACCOUNT_SID` / `_AUTH_TOKEN`, or a Twilio-compatible
  host at `LIASSE_TWILIO_BASE_URL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from application.services import Services
from connectors.sms.fake_twilio import FakeTwilioServer
from connectors.sms.idempotency import FileIdempotencyStore
from connectors.sms.twilio_sender import TwilioSmsSender
from signing.otp.policy import OtpPolicy
from signing.sessions.deps import OutcomeHook, SigningDeps
from signing.sessions.mail_adapter import ConnectorMailer
from signing.sessions.service import SigningService
from signing.settings import SigningSettings


def sms_is_simulated(s: SigningSettings | None = None) -> bool:
    """Whether codes go to the bundled fake Twilio (no real SMS is sent)."""
    return (s or SigningSettings()).sms_backend == "fake"


@contextmanager
def sms_sender(s: SigningSettings) -> Iterator[TwilioSmsSender]:
    token = s.twilio_auth_token.get_secret_value()
    store = FileIdempotencyStore(s.home / "outbox" / "sms-keys.json")
    if s.sms_backend == "twilio":
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
    services: Services, on_outcome: OutcomeHook | None = None
) -> Iterator[SigningService]:
    s = SigningSettings()
    with ExitStack() as stack:
        sms = stack.enter_context(sms_sender(s))
        deps = SigningDeps(
            factory=services.factory,
            pki=services.pki,
            sms=sms,
            mailer=ConnectorMailer(services.mailer),
            secret_key=services.settings.resolved_secret_key(),
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
            notify_email=services.settings.sales_manager_email,
            on_outcome=on_outcome,
        )
        yield SigningService(deps)
