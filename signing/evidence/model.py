"""The facts an evidence page shows, as plain data (no database, no PDF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


def mask_phone(phone_e164: str) -> str:
    """Enough to recognise one's own number, not enough to call it.

    >>> mask_phone("+33612345678")
    '+336••••••78'
    """
    digits = phone_e164.strip()
    if len(digits) < 6:
        return "••"
    return f"{digits[:4]}{'•' * (len(digits) - 6)}{digits[-2:]}"


@dataclass(frozen=True)
class EvidenceSigner:
    order: int
    name: str
    email: str
    masked_phone: str
    role: str
    auth_method: str


@dataclass(frozen=True)
class EvidenceEvent:
    at: datetime
    who: str
    action: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class EvidenceData:
    reference: str  # signing session reference, printed with the marker
    title: str
    document_sha256: str
    signers: list[EvidenceSigner]
    events: list[EvidenceEvent] = field(default_factory=list)
    identity_checked: bool = False
    heading_fr: str = "Page de preuve de signature électronique"
    heading_en: str = "Electronic signature evidence page"
