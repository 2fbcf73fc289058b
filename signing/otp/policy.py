"""The rules for SMS codes (NIST SP 800-63B inspired), in one place, overridable in tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dossiers.db import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class OtpPolicy:
    ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5  # wrong codes before the challenge locks; a new send does not reset it
    max_sends: int = 3  # codes per signer ...
    send_window: timedelta = timedelta(minutes=15)  # ... within this sliding window
    digits: int = 6


def system_clock() -> datetime:
    return utcnow()
