"""Chorus Pro said no (`IN_REJETE`, `REJETEE`, `A_RECYCLER`...): tell the operators, and put
the invoice back in its file's circuit with the reason.

`handle_problem` is what `connectors.chorus_pro.followup.poll_once(on_problem=...)` calls once
the deposit is recorded `to_fix`. The operators' mail is idempotent per (invoice, reason). The
invoice's file (found through its links) goes to the circuit's failure path with the reason
when an invoice step is still active (deposit in progress: `fail_automatic` -> invoice review).
A file already closed cannot be reopened by the domain today: the problem is then recorded in
the file's audit trail and the operators' mail says so (see the report: `Reopen` command).
`chorus_problem` is the `module:callable` for the `chorus-followup` deployment's
`problem_handler` parameter.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

from dossiers import audit
from dossiers.db import transaction
from dossiers.files import service
from dossiers.files.states import OPEN_FILE_STATES, StepState
from dossiers.staff.service import users_with_role
from flows.actions.context import ActionContext, build_context
from flows.actions.links import files_linking

OPERATOR_ROLES = ("operator", "admin")


def handle_problem(ctx: ActionContext, invoice_number: str, reason: str) -> int | None:
    """Alert and route the problem; returns the file id put back (None: none could be)."""
    with ctx.factory() as s:
        files = files_linking(s, "invoice_pdf", "number", invoice_number)
    file_id = files[0] if files else None
    moved = _back_to_review(ctx, file_id, invoice_number, reason) if file_id else None
    _alert(ctx, invoice_number, reason, file_id, moved is not None)
    return moved


def _back_to_review(ctx: ActionContext, file_id: int, number: str, reason: str) -> int | None:
    text = f"Chorus Pro, facture {number} : {reason}"[:1000]
    with transaction(ctx.factory) as s:
        file = service.get_file(s, file_id)
        current = next((r for r in file.steps if r.id and r.seq == file.current_seq), None)
        if file.state in OPEN_FILE_STATES and current is not None and current.kind == "invoice" \
                and current.mode == "automatic":
            if current.state == StepState.PENDING:
                service.claim_automatic(s, current.id, at=ctx.clock())
            service.fail_automatic(s, current.id, reason=text, at=ctx.clock())
            return file_id
        audit.record(s, "file.invoice_problem", subject_type="customer_file",
                     subject_id=file_id, actor=ctx.actor, customer_id=file.customer_id,
                     data={"invoice": number, "reason": reason, "file_state": file.state.value})
    return None


def _alert(ctx: ActionContext, number: str, reason: str, file_id: int | None,
           moved: bool) -> str | None:
    with ctx.factory() as s:
        to = sorted({u.email for role in OPERATOR_ROLES for u in users_with_role(s, role)})
    if not to:
        return None
    where = (f"Le dossier {file_id} est revenu au contrôle de la facture." if moved else
             f"Dossier {file_id} clos : corriger la facture par un avoir ou une rectificative."
             if file_id else "Aucun dossier client ne porte cette facture.")
    message = EmailMessage()
    message["Subject"] = f"[Liasse] Chorus Pro : facture {number} à corriger"
    message["To"] = ", ".join(to)
    message.set_content(f"Chorus Pro a refusé ou renvoyé la facture {number}.\n\n"
                        f"Motif : {reason}\n\n{where}\n")
    digest = hashlib.sha256(reason.encode()).hexdigest()[:12]
    return ctx.mailer.send(message, f"chorus-problem:{number}:{digest}")


def chorus_problem(invoice_number: str, reason: str) -> None:
    """`problem_handler="flows.actions.chorus_problems:chorus_problem"` (built from settings)."""
    handle_problem(build_context(), invoice_number, reason)
