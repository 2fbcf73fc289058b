"""Opening a dispute on an invoice: the dispute circuit starts for the invoice's customer.

`open_dispute` starts a file on `circuits/dispute.yaml` naming the invoice
(`parent_invoice_ref`) and records the claim's reason; its flow run then places the legal hold
on the invoice's archived documents (first step, `legal_hold`), waits for the `disputes` role
to choose the outcome (credit note, correction, or rejection of the claim), runs it, and on
closing releases the holds it placed (`flows.db_file_engine`: a finished dispute file releases
its own holds; another dispute's or a person's stay). Refused: an unknown or draft invoice, an
empty reason, a second open dispute on the same invoice, another customer's invoice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dossiers.circuits import load_circuit
from dossiers.files import service
from dossiers.files.models import CustomerFile

DISPUTE_CIRCUIT = "dispute.yaml"


def open_dispute(session: Session, invoice_number: str, *, actor: str, reason: str,
                 circuits_dir: Path) -> CustomerFile:
    """Start the dispute file (in the caller's transaction); the caller starts its flow run
    (`flows.control.start_file(str(file.id))`) once committed. The rules are the domain's
    (`dossiers.files.disputes`, applied by `service.start_file` to every dispute start)."""
    circuit = load_circuit(circuits_dir / DISPUTE_CIRCUIT)
    return service.open_dispute(session, invoice_number, circuit=circuit, actor=actor,
                                reason=reason)
