"""The SMS interface Liasse depends on, and its errors.

`send` is idempotent by key: the caller stores the key before calling, and a retry with the same
key never sends a second SMS (a signer must not receive two different codes for one request).
"""

from __future__ import annotations

from typing import Protocol

from dossiers.errors import LiasseError, ValidationError


class SmsError(LiasseError):
    """The SMS provider refused or could not be reached; nothing was sent."""

    exit_code = 30


class InvalidPhoneNumber(SmsError, ValidationError):
    """The provider rejected the destination number (Twilio error 21211)."""

    exit_code = 2


class SmsSender(Protocol):
    def send(self, to: str, body: str, idempotency_key: str) -> str:
        """Send `body` to `to` (E.164) once per key; returns the provider's message id."""
        ...
