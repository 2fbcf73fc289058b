"""`sign`: the two-party SMS-code signing session of the file's contract.

Opening is idempotent by the session's `subject_ref` (`customer_file:<id>/step:<row>`): a
re-run finds the session instead of inviting the signers twice. The step stays running
(`waiting`) while the session is open. When it ends, the signing service's `on_outcome` hook
only wakes the file's flow run (`flows.db_file_engine`); the flow runs this action again, as a
Prefect task with retries: completed -> the signed, sealed contract is archived (once) and the
step completes; declined or expired -> the step fails with the reason (the circuit's
`on_failure`: contract review).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from application.errors import ActionFailed
from application.services import Services
from application.signing_sessions import signing_service
from dossiers.archive import archive_document
from dossiers.customers.models import Customer
from dossiers.files import service
from dossiers.files.artifacts import linked
from dossiers.i18n import tr
from dossiers.staff.service import get_staff
from flows.actions.contract import contract_number
from flows.actions.step_types import ActionResult, StepRef
from signing.pades.placement import SignatureBox
from signing.sessions.models import SessionStatus, SigningSession
from signing.sessions.prepare import SignerSpec

_SUBJECT = re.compile(r"^customer_file:(\d+)/step:(\d+)$")


def subject_ref(file_id: int, row_id: int) -> str:
    return f"customer_file:{file_id}/step:{row_id}"


def session_of(ctx: Services, file_id: int, row_id: int) -> SigningSession | None:
    """The step's signing session (the latest), read with its signers."""
    with ctx.factory() as s:
        signing = s.scalars(select(SigningSession)
                            .where(SigningSession.subject_ref == subject_ref(file_id, row_id))
                            .order_by(SigningSession.id.desc())).first()
        if signing is not None:
            _ = [signer.decline_reason for signer in signing.signers]
        return signing


def is_open(ctx: Services, file_id: int, row_id: int) -> bool:
    signing = session_of(ctx, file_id, row_id)
    return signing is not None and signing.status == SessionStatus.OPEN


def open_signature(ctx: Services, file_id: int, step: StepRef) -> ActionResult:
    """Open the session (once); run again after it ended, archive the signed contract (done)
    or report the decline / expiry (failed: back to contract review with the reason)."""
    existing = session_of(ctx, file_id, step.row_id)
    if existing is not None:
        return _finish(ctx, file_id, existing)
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
    with signing_service(ctx) as signing:
        reference = signing.open("Contrat d'abonnement", pdf, signers, customer_id=customer_id,
                                 subject_ref=subject_ref(file_id, step.row_id),
                                 opened_by=opened_by)
    return ActionResult(tr(f"session de signature {reference} ouverte",
                           f"signing session {reference} opened"), "waiting")


def _finish(ctx: Services, file_id: int, signing: SigningSession) -> ActionResult:
    if signing.status == SessionStatus.OPEN:
        return ActionResult(tr(f"session de signature {signing.reference} ouverte",
                               f"signing session {signing.reference} opened"), "waiting")
    if signing.status == SessionStatus.COMPLETED:
        record = _archive_signed(ctx, file_id, signing)
        return ActionResult(tr(f"contrat signé par les deux parties, cacheté, archivé (#{record})",
                               f"contract signed by both parties, sealed, archived (#{record})"))
    reasons = [sg.decline_reason for sg in signing.signers if sg.decline_reason]
    why = reasons[0] if reasons else signing.status.value
    raise ActionFailed(f"Signature {signing.status.value} : {why}",
                       f"Signature {signing.status.value}: {why}")


def parse_subject(ref: str | None) -> tuple[int, int] | None:
    found = _SUBJECT.match(ref or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _archive_signed(ctx: Services, file_id: int, signing: SigningSession) -> int:
    completed = signing.completed_at or ctx.clock()
    row = archive_document(ctx.archive, document_type="contract",
                           document_id=f"signing:{signing.reference}",
                           document_number=contract_number(file_id),
                           issue_date=completed.date(), content=signing.pdf,
                           customer_id=signing.customer_id, actor=ctx.actor)
    return row.id
