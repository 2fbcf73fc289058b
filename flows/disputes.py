"""Opening a dispute on an invoice: the dispute circuit starts for the invoice's customer.

`open_dispute` starts a file on `circuits/dispute.yaml` naming the invoice
(`parent_invoice_ref`) and records the claim's reason; its flow run then places the legal hold
on the invoice's archived documents (first step, `legal_hold`), waits for the `disputes` role
to choose the outcome (credit note, correction, or rejection of the claim), runs it, and on
closing releases the hold (`flows.db_file_engine`: a finished dispute file releases its hold
unless another open dispute covers the same invoice). Refused: an unknown or draft invoice,
an empty reason, a second open dispute on the same invoice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import audit
from dossiers.circuits import load_circuit
from dossiers.errors import ConflictError, ValidationError
from dossiers.files import service
from dossiers.files.models import CustomerFile
from dossiers.files.states import OPEN_FILE_STATES
from dossiers.invoicing.queries import get_invoice

DISPUTE_CIRCUIT = "dispute.yaml"


def open_dispute(session: Session, invoice_number: str, *, actor: str, reason: str,
                 circuits_dir: Path) -> CustomerFile:
    """Start the dispute file (in the caller's transaction); the caller starts its flow run
    (`flows.control.start_file(str(file.id))`) once committed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif du litige.", "Give the reason of the dispute.")
    invoice = get_invoice(session, invoice_number)
    already = session.scalars(select(CustomerFile.id).where(
        CustomerFile.parent_invoice_ref == invoice_number,
        CustomerFile.state.in_(OPEN_FILE_STATES))).first()
    if already is not None:
        raise ConflictError(
            f"Un litige est déjà ouvert sur {invoice_number} (dossier {already}).",
            f"A dispute is already open on {invoice_number} (file {already}).")
    circuit = load_circuit(circuits_dir / DISPUTE_CIRCUIT)
    file = service.start_file(session, customer_id=invoice.customer_id, circuit=circuit,
                              actor=actor, parent_invoice_ref=invoice_number)
    audit.record(session, "dispute.opened", subject_type="customer_file", subject_id=file.id,
                 actor=actor, customer_id=invoice.customer_id,
                 data={"invoice": invoice_number, "reason": reason})
    return file
