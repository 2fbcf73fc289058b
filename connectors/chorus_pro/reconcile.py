"""Finding on Chorus Pro an invoice whose deposit had an ambiguous outcome, and adopting it.

Chorus Pro lists an invoice (`rechercher/fournisseur`) only once its flow is integrated, so a
look-up is conclusive only after the flow had time to be processed (`reconcile_after`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.models import InvoiceSummary
from dossiers.chorus_deposits import records
from dossiers.chorus_deposits.lifecycle import DepositState
from dossiers.chorus_deposits.models import ChorusDeposit


def find_on_chorus(client: ChorusProClient, invoice_number: str) -> InvoiceSummary | None:
    """The invoice as Chorus Pro lists it (integrated flows only), every page searched."""
    found = client.search_supplier_invoices(invoice_number=invoice_number)
    return next((f for f in found if f.invoice_number == invoice_number), None)


def adopt(session: Session, row: ChorusDeposit, found: InvoiceSummary, now: datetime) -> None:
    """Chorus Pro already has the invoice: record it as submitted, do not send it again."""
    records.move(
        session,
        row,
        DepositState.SUBMITTED,
        now=now,
        next_poll_at=now,
        flow_number=found.flow_number or row.flow_number,
        chorus_invoice_id=found.invoice_id,
        flow_state=row.flow_state or "IN_INTEGRE",
    )
