"""The rules of a dispute, checked by every way of starting a dispute file.

A dispute file is a file on a circuit with a step of kind `dispute` (`circuits/dispute.yaml`).
`service.start_file` applies these rules whenever it starts one, whoever calls it (`liasse files
start --circuit dispute`, `service.open_dispute`, `flows.disputes.open_dispute`), so no caller
can skip them:

- a reason is given (at most 2,000 characters);
- the invoice exists and was issued (a draft has no number, so cannot be named);
- the file's customer is the invoice's customer (no one disputes someone else's invoice);
- no other dispute on the same invoice is open (the invoice row is locked meanwhile on
  PostgreSQL; SQLite serialises writers with `BEGIN IMMEDIATE`).

Refused before anything is written; accepted, the file is started and `dispute.opened` is
recorded with the invoice and the reason, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import audit
from dossiers.circuits import Circuit
from dossiers.customers.models import Customer
from dossiers.db import for_update
from dossiers.errors import ConflictError, NotFound, ValidationError
from dossiers.files.guards import bounded
from dossiers.files.models import CustomerFile
from dossiers.files.states import OPEN_FILE_STATES
from dossiers.invoicing.models import Invoice


def is_dispute_circuit(circuit: Circuit) -> bool:
    return any(step.kind == "dispute" for step in circuit.steps)


@dataclass(frozen=True)
class DisputeClaim:
    invoice_number: str
    customer_id: int
    reason: str


def disputed_invoice(session: Session, invoice_number: str) -> Invoice:
    """The issued invoice of that number, locked until the end of the transaction."""
    query = select(Invoice).where(Invoice.number == invoice_number)
    if for_update(session):
        query = query.with_for_update()
    invoice = session.scalars(query).one_or_none()
    if invoice is None:
        raise NotFound(f"Facture {invoice_number} introuvable : aucun litige ouvert.",
                       f"Invoice {invoice_number} not found: no dispute opened.")
    return invoice


def check_claim(session: Session, invoice_number: str, *, customer_id: int,
                reason: str | None) -> DisputeClaim:
    """Every rule of a new dispute; raise (and write nothing) on the first one broken."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError("Indiquez le motif du litige (--reason).",
                              "Give the reason of the dispute (--reason).")
    cleaned = bounded(cleaned)
    invoice = disputed_invoice(session, invoice_number)
    if invoice.customer_id != customer_id:
        numbers = dict(session.execute(select(Customer.id, Customer.number).where(
            Customer.id.in_([customer_id, invoice.customer_id]))).tuples().all())
        claimant = numbers.get(customer_id, str(customer_id))
        owner = numbers.get(invoice.customer_id, str(invoice.customer_id))
        raise ValidationError(
            f"La facture {invoice_number} est celle du client {owner}, pas de {claimant} : "
            "un client ne conteste que ses propres factures.",
            f"Invoice {invoice_number} belongs to customer {owner}, not {claimant}: "
            "a customer disputes only their own invoices.",
        )
    already = session.scalars(select(CustomerFile.id).where(
        CustomerFile.parent_invoice_ref == invoice_number,
        CustomerFile.state.in_(OPEN_FILE_STATES))).first()
    if already is not None:
        raise ConflictError(
            f"Un litige est déjà ouvert sur {invoice_number} (dossier {already}).",
            f"A dispute is already open on {invoice_number} (file {already}).")
    return DisputeClaim(invoice_number, invoice.customer_id, cleaned)


def record_opened(session: Session, file: CustomerFile, claim: DisputeClaim, actor: str,
                  at: datetime) -> None:
    audit.record(session, "dispute.opened", subject_type="customer_file", subject_id=file.id,
                 actor=actor, customer_id=claim.customer_id, at=at,
                 data={"invoice": claim.invoice_number, "reason": claim.reason})
