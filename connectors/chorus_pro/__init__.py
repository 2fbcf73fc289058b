"""Chorus Pro (PISTE REST) connector: client, pre-deposit checks, at-most-once deposits,
follow-up until payment, and a wire-level fake (`connectors.chorus_pro.fake`).

Typical use (the flows layer is the composition root)::

    client = ChorusProClient(ChorusSettings())
    depositor = Depositor(session_factory, client, check_facturx)
    depositor.deposit(DepositRequest(invoice_number, pdf_bytes, customer_id=...))
    poll_once(session_factory, client, utcnow(), on_problem=alert_operators)
"""

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor
from connectors.chorus_pro.deposit_types import DepositOutcome, DepositRequest
from connectors.chorus_pro.errors import (
    ChorusAmbiguousFailure,
    ChorusAuthError,
    ChorusProError,
    ChorusRateLimited,
    ChorusRejected,
    ChorusUnavailable,
)
from connectors.chorus_pro.followup import PollReport, poll_once
from connectors.chorus_pro.settings import ChorusSettings

__all__ = [
    "ChorusAmbiguousFailure",
    "ChorusAuthError",
    "ChorusProClient",
    "ChorusProError",
    "ChorusRateLimited",
    "ChorusRejected",
    "ChorusSettings",
    "ChorusUnavailable",
    "DepositOutcome",
    "DepositRequest",
    "Depositor",
    "PollReport",
    "poll_once",
]
