"""States of a deposit record, and the Chorus Pro invoice statuses mapped to Liasse's lifecycle.

A deposit record (`DepositState`) says what the connector must do next; the invoice lifecycle
(`InvoiceLifecycle`) says where the invoice stands at the buyer's. Polling stops once the invoice
is mandated or paid: after `MANDATEE` the public accountant pays without further events that
need us.

>>> lifecycle_of("MISE_A_DISPOSITION")
<InvoiceLifecycle.MADE_AVAILABLE: 'made_available'>
>>> poll_delay(0).total_seconds(), poll_delay(3).total_seconds(), poll_delay(30).total_seconds()
(300.0, 2400.0, 86400.0)
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class DepositState(StrEnum):
    PENDING = "pending"  # recorded, the deposit call is (or was) in flight
    UNCERTAIN = "uncertain"  # the call failed ambiguously: look it up before sending again
    FAILED = "failed"  # certainly not sent (Chorus Pro unreachable, rate limited, credentials)
    TO_FIX = "to_fix"  # refused or bound to bounce: a human fixes the invoice (see `reason`)
    SUBMITTED = "submitted"  # on Chorus Pro; followed until mandated or paid
    SETTLED = "settled"  # mandated or paid: polling stopped


class InvoiceLifecycle(StrEnum):
    DEPOSITED = "deposited"
    MADE_AVAILABLE = "made_available"
    RECEIVED = "received"
    SERVICE_DONE = "service_done"
    MANDATED = "mandated"
    PAID = "paid"
    TO_RECYCLE = "to_recycle"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


STATUS_LIFECYCLE: dict[str, InvoiceLifecycle] = {
    "DEPOSEE": InvoiceLifecycle.DEPOSITED,
    "EN_COURS_ACHEMINEMENT": InvoiceLifecycle.DEPOSITED,
    "MISE_A_DISPOSITION": InvoiceLifecycle.MADE_AVAILABLE,
    "PRISE_EN_COMPTE_DESTINATAIRE": InvoiceLifecycle.RECEIVED,
    "COMPLETEE": InvoiceLifecycle.RECEIVED,  # documents added after a suspension
    "SERVICE_FAIT": InvoiceLifecycle.SERVICE_DONE,
    "MANDATEE": InvoiceLifecycle.MANDATED,
    "MISE_A_DISPOSITION_COMPTABLE": InvoiceLifecycle.MANDATED,
    "COMPTABILISEE": InvoiceLifecycle.MANDATED,
    "MISE_EN_PAIEMENT": InvoiceLifecycle.PAID,
    "A_RECYCLER": InvoiceLifecycle.TO_RECYCLE,
    "SUSPENDUE": InvoiceLifecycle.SUSPENDED,
    "REJETEE": InvoiceLifecycle.REJECTED,
}

STOP_POLLING_STATUSES = frozenset(
    {"MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT"}
)
PROBLEM_STATUSES = frozenset({"A_RECYCLER", "REJETEE"})  # back to the file's circuit
ATTENTION_STATUSES = frozenset({"SUSPENDUE"})  # operators add documents; polling goes on

FIRST_POLL = timedelta(minutes=5)
MAX_POLL_INTERVAL = timedelta(days=1)


def lifecycle_of(status: str) -> InvoiceLifecycle | None:
    """Liasse's lifecycle step for a Chorus Pro status; None for a status we do not know."""
    return STATUS_LIFECYCLE.get(status)


def poll_delay(idle_polls: int, first: timedelta = FIRST_POLL) -> timedelta:
    """Wait before the next poll: doubles with each poll that saw no change, capped at a day."""
    return min(first * (2 ** min(idle_polls, 20)), MAX_POLL_INTERVAL)
