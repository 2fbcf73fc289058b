"""Chorus Pro deposits as records: one row per invoice number, its states and its lifecycle.

Plain Python over the database (no HTTP): `models` (the `chorus_deposits` table), `lifecycle`
(Chorus Pro statuses → Liasse's invoice lifecycle, when to stop polling, backoff) and `records`
(state changes, each with its audit event). The connector in `connectors.chorus_pro` drives them.
"""

from dossiers.chorus_deposits.lifecycle import DepositState, InvoiceLifecycle, lifecycle_of
from dossiers.chorus_deposits.models import ChorusDeposit

__all__ = ["ChorusDeposit", "DepositState", "InvoiceLifecycle", "lifecycle_of"]
