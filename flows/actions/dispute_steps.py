"""The dispute circuit's automatic steps: legal hold, credit note, corrected invoice, release.

A dispute file names its invoice (`parent_invoice_ref`). `legal_hold` freezes every archived
document of that invoice; the outcome steps issue a credit note (whole invoice) or a credit
note plus a corrected invoice, each published like any invoice (sealed, archived, sent); when
the file closes, whatever the outcome, `release_hold` lifts the holds this dispute placed (each
hold names its dispute file; another dispute's or a person's hold stays). All of it is
idempotent (holds already set are skipped, issued documents are found through the file's links).
"""

from __future__ import annotations

from typing import Any

from application.errors import ActionFailed
from application.invoicing import posting
from application.invoicing.issuing import credit_checked, reissue_checked
from application.services import Services
from dossiers.archive import find, place_hold, release_hold
from dossiers.db import transaction
from dossiers.files.artifacts import link, linked
from dossiers.files.service import get_file
from dossiers.i18n import tr
from flows.actions.step_types import ActionResult, StepRef


def disputed_invoice(ctx: Services, file_id: int) -> str:
    with ctx.factory() as s:
        number = get_file(s, file_id).parent_invoice_ref
    if not number:
        raise ActionFailed(f"Le dossier {file_id} ne nomme pas de facture contestée.",
                           f"File {file_id} names no disputed invoice.")
    return number


def _records(ctx: Services, number: str) -> list[int]:
    with ctx.factory() as s:
        return [row.id for row in find(s, document_number=number)]


def hold(ctx: Services, file_id: int, step: StepRef) -> ActionResult:
    """Hold every archived document of the disputed invoice, in this dispute's name.

    Nothing archived to hold is a failure, not a success with zero documents: the circuit then
    stops at `hold_missing` and the dispute is not examined before the hold is in place.
    """
    number = disputed_invoice(ctx, file_id)
    ids = _records(ctx, number)
    if not ids:
        raise ActionFailed(
            f"Gel impossible : aucune pièce archivée pour la facture {number}.",
            f"Hold impossible: no archived document for invoice {number}.")
    place_hold(ctx.archive, ids, f"Litige (dossier {file_id}) sur {number}", actor=ctx.actor,
               dispute_file_id=file_id)
    return ActionResult(tr(f"{len(ids)} pièce(s) archivée(s) de {number} sous gel juridique",
                           f"{len(ids)} archived document(s) of {number} on legal hold"))


def release(ctx: Services, file_id: int) -> int:
    """Lift the holds this closed dispute placed, and only those: a document another open
    dispute, or a person, also holds stays held."""
    number = disputed_invoice(ctx, file_id)
    released = release_hold(ctx.archive, _records(ctx, number),
                            f"Litige clos (dossier {file_id})", actor=ctx.actor,
                            dispute_file_id=file_id)
    return len(released)


def _publish(ctx: Services, number: str) -> None:
    """Post and route like any invoice: sealed, checked, archived, e-mailed, and deposited on
    Chorus Pro for a public buyer."""
    posting.post(ctx, number)
    posting.route(ctx, number)


def _issued_once(ctx: Services, file_id: int, kind: str, issue: Any) -> list[str]:
    """Issue through `issue(session)` unless the file already links a `kind`; publish."""
    with transaction(ctx.factory) as s:
        done = linked(s, file_id, kind)
        if done is None:
            numbers = issue(s)
            link(s, file_id, kind, {"numbers": numbers}, actor=ctx.actor)
        else:
            numbers = done["numbers"]
    for number in numbers:  # the archive and the mail are idempotent on their own
        _publish_if_needed(ctx, file_id, number)
    return numbers


def _publish_if_needed(ctx: Services, file_id: int, number: str) -> None:
    with ctx.factory() as s:
        published = linked(s, file_id, f"published:{number}")
    if published is None:
        _publish(ctx, number)
        with transaction(ctx.factory) as s:
            link(s, file_id, f"published:{number}", {"number": number}, actor=ctx.actor)


def credit_note(ctx: Services, file_id: int, step: StepRef) -> ActionResult:
    number = disputed_invoice(ctx, file_id)

    def issue(s: Any) -> list[str]:
        note = credit_checked(s, {"invoice": number, "reason": f"Litige, dossier {file_id}"},
                              actor=ctx.actor).invoice
        return [note.number]

    numbers = _issued_once(ctx, file_id, "credit_note", issue)
    return ActionResult(tr(f"avoir {numbers[0]} émis sur {number}",
                           f"credit note {numbers[0]} issued on {number}"))


def corrected_invoice(ctx: Services, file_id: int, step: StepRef) -> ActionResult:
    number = disputed_invoice(ctx, file_id)
    with ctx.factory() as s:
        correction = linked(s, file_id, "correction_input")
    if correction is None:
        raise ActionFailed(f"Aucune facture rectificative préparée pour le dossier {file_id}.",
                           f"No corrected invoice prepared for file {file_id}.")

    posting.recheck_buyer(ctx, correction["invoice"])

    def issue(s: Any) -> list[str]:
        note, invoice = reissue_checked(
            s, {"invoice": number, "reason": f"Rectification, dossier {file_id}"},
            correction["invoice"], ctx.profile, actor=ctx.actor)
        return [note.invoice.number, invoice.invoice.number]

    numbers = _issued_once(ctx, file_id, "correction", issue)
    return ActionResult(tr(f"avoir {numbers[0]} et facture rectificative {numbers[1]} émis",
                           f"credit note {numbers[0]} and corrected invoice {numbers[1]} issued"))
