"""The SMS connector's errors. The interface it implements (`SmsSender`, idempotent by key)
is owned by its user, `signing.sessions.deps`."""

from __future__ import annotations

from dossiers.errors import LiasseError, ValidationError


class SmsError(LiasseError):
    """The SMS provider refused or could not be reached; nothing was sent."""

    exit_code = 30


class InvalidPhoneNumber(SmsError, ValidationError):
    """The provider rejected the destination number (Twilio error 21211)."""

    exit_code = 2
