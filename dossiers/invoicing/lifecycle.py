"""After issue: lifecycle states set by delivery, Chorus Pro follow-up and payments.

Only `state` changes (the guard keeps the content frozen); each change is audited. The
transition table is deliberately small and open: the Chorus Pro follow-up may extend it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.db import utcnow
from dossiers.errors import IllegalTransition
from dossiers.invoicing.models import Invoice, InvoiceState

S = InvoiceState
TRANSITIONS: dict[InvoiceState, frozenset[InvoiceState]] = {
    S.DRAFT: frozenset(),  # a draft becomes issued only through numbering (drafts.issue_draft)
    S.ISSUED: frozenset({S.SENT, S.DEPOSITED, S.PAID}),
    S.SENT: frozenset({S.DEPOSITED, S.PAID}),
    S.DEPOSITED: frozenset({S.ACCEPTED, S.REJECTED, S.PAID}),
    S.ACCEPTED: frozenset({S.PAID}),
    S.REJECTED: frozenset({S.DEPOSITED}),  # deposited again after the platform's rejection
    S.PAID: frozenset(),
}


def change_state(session: Session, invoice: Invoice, new: InvoiceState, *,
                 actor: str = "system", detail: str | None = None) -> None:
    """Move an issued invoice to `new`, or raise `IllegalTransition` naming both states."""
    old = invoice.state
    if new not in TRANSITIONS.get(old, frozenset()):
        raise IllegalTransition(
            f"Facture {invoice.number} : passage de l'état « {old.value} » à « {new.value} » "
            "impossible.",
            f"Invoice {invoice.number}: cannot go from state '{old.value}' to '{new.value}'.",
        )
    invoice.state = new
    invoice.state_changed_at = utcnow()
    session.flush()
    record(session, "invoice.state_changed", subject_type="invoice", subject_id=invoice.id,
           actor=actor, customer_id=invoice.customer_id,
           data={"number": invoice.number, "from": old.value, "to": new.value,
                 "detail": detail})
