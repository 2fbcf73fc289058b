"""`sign`: open the two-party SMS-code signing session for the file's contract, and hear its end.

Opening is idempotent by the session's `subject_ref` (`customer_file:<id>/step:<row>`): a
re-run finds the session instead of inviting the signers twice. The step then stays running
(`waiting`) until the session ends: `record_outcome` is the signing service's `on_outcome`
hook — completed: the signed contract is archived and the step completes (the file moves on);
declined or expired: the step fails with the reason (the circuit's `on_failure`, contract
review).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from dossiers.archive import archive_document
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.errors import ConflictError, IllegalTransition
from dossiers.files import service
from dossiers.files.states import StepState
from dossiers.staff.service import get_staff
from flows.actions.context import ActionContext, ActionFailed, ActionResult, StepRef
from flows.actions.contract import contract_number
from flows.actions.links import linked
from signing.pades.placement import SignatureBox
from signing.sessions.deps import SessionOutcome
from signing.sessions.models import SigningSession
from signing.sessions.prepare import SignerSpec
from signing.sessions.runtime import signing_service

_SUBJECT = re.compile(r"^customer_file:(\d+)/step:(\d+)$")


def subject_ref(file_id: int, row_id: int) -> str:
    return f"customer_file:{file_id}/step:{row_id}"


def session_of(ctx: ActionContext, file_id: int, row_id: int) -> str | None:
    with ctx.factory() as s:
        return s.scalars(select(SigningSession.reference)
                         .where(SigningSession.subject_ref == subject_ref(file_id, row_id))
                         .order_by(SigningSession.id.desc())).first()


def open_signature(ctx: ActionContext, file_id: int, step: StepRef,
                   on_outcome: Callable[[SessionOutcome], None] | None = None) -> ActionResult:
    existing = session_of(ctx, file_id, step.row_id)
    if existing is not None:
        return ActionResult(f"session de signature {existing} déjà ouverte", "waiting")
    with ctx.factory() as s:
        contract = linked(s, file_id, "contract")
        if contract is None:
            raise ActionFailed(f"Le dossier {file_id} n'a pas de contrat rédigé à signer.",
                               f"File {file_id} has no drafted contract to sign.")
        file = service.get_file(s, file_id)
        customer = s.get_one(Customer, file.customer_id)
        manager = get_staff(s, contract["countersigner"])
        boxes = [SignatureBox(*box) for box in contract["boxes"]]
        signers = [
            SignerSpec(customer.display_name, customer.email or "", customer.mobile or "",
                       "client", boxes[0]),
            SignerSpec(manager.full_name, manager.email, manager.mobile or "",
                       "responsable commercial", boxes[1]),
        ]
        customer_id, opened_by = customer.id, file.opened_by
    pdf = ctx.blobs.get(contract["sha256"])
    with signing_service(ctx.factory, ctx.settings, on_outcome=on_outcome) as signing:
        reference = signing.open("Contrat d'abonnement", pdf, signers, customer_id=customer_id,
                                 subject_ref=subject_ref(file_id, step.row_id),
                                 opened_by=opened_by)
    return ActionResult(f"session de signature {reference} ouverte", "waiting")


def parse_subject(ref: str | None) -> tuple[int, int] | None:
    found = _SUBJECT.match(ref or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def record_outcome(ctx: ActionContext, outcome: SessionOutcome) -> int | None:
    """Apply a finished signing session to its file step; returns the file id (None: not ours,
    or already applied). Idempotent: a step no longer running is left alone."""
    target = parse_subject(outcome.subject_ref)
    if target is None:
        return None
    file_id, row_id = target
    with ctx.factory() as s:
        row = service.get_step(s, row_id)
        if row.state != StepState.RUNNING:
            return None
    try:
        with transaction(ctx.factory) as s:
            if outcome.status == "completed" and outcome.signed_pdf is not None:
                record = _archive_signed(ctx, file_id, outcome)
                service.complete_automatic(s, row_id, at=ctx.clock(),
                                           note=f"contrat signé, archivé (#{record})")
            else:
                reason = outcome.decline_reason or outcome.status
                service.fail_automatic(s, row_id, at=ctx.clock(),
                                       reason=f"signature {outcome.status} : {reason}")
    except (ConflictError, IllegalTransition):
        return None  # another process applied it first
    return file_id


def _archive_signed(ctx: ActionContext, file_id: int, outcome: SessionOutcome) -> int:
    assert outcome.signed_pdf is not None
    ctx.blobs.put(outcome.signed_pdf)
    row = archive_document(ctx.archive, document_type="contract",
                           document_id=f"signing:{outcome.reference}",
                           document_number=contract_number(file_id),
                           issue_date=ctx.clock().date(), content=outcome.signed_pdf,
                           customer_id=outcome.customer_id, actor=ctx.actor)
    return row.id
