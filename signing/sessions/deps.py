"""What a signing session needs from the outside, injected once (tests swap clock and mailer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from signing.evidence.identity import IdentityCheck
from signing.otp.policy import Clock, OtpPolicy, system_clock
from signing.pki.signing_pki import SigningPki
from signing.sessions.notify import Mailer


class SmsSender(Protocol):
    """The SMS channel signing depends on (owned here; `connectors.sms` implements it).

    `send` is idempotent by key: the caller stores the key before calling, and a retry with
    the same key never sends a second SMS (a signer must not receive two different codes)."""

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        """Send `body` to `to` (E.164) once per key; returns the provider's message id."""
        ...


@dataclass(frozen=True)
class SessionOutcome:
    """Handed to the completion hook after commit (the circuit approves the contract step)."""

    reference: str
    subject_ref: str | None
    customer_id: int | None
    status: str  # "completed" or "declined"
    signed_pdf: bytes | None = None
    evidence_pdf: bytes | None = None
    decline_reason: str | None = None


OutcomeHook = Callable[[SessionOutcome], None]


@dataclass
class SigningDeps:
    factory: sessionmaker[Session]
    pki: SigningPki
    sms: SmsSender
    mailer: Mailer
    secret_key: bytes
    clock: Clock = system_clock
    otp_policy: OtpPolicy = field(default_factory=OtpPolicy)
    link_ttl: timedelta = timedelta(days=7)
    session_ttl: timedelta = timedelta(days=14)
    reminder_interval: timedelta = timedelta(days=2)
    public_base_url: str = "http://127.0.0.1:8000"
    notify_email: str | None = None  # who hears about completion/decline (the sales manager)
    on_outcome: OutcomeHook | None = None
    identity_check: IdentityCheck | None = None  # seam: an ID-document step before the code
