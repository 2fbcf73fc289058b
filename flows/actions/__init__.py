"""The automatic steps the circuits declare, one small module per family of action.

`handler_for(kind, action)` finds the handler of a circuit step (`render` means a contract on
a contract step and an invoice on an invoice step); every handler is a plain function
`(services, file_id, step) -> ActionResult`, idempotent, with its dependencies in the
application's `Services` (`application.services.build_services()`).
"""

from __future__ import annotations

from collections.abc import Callable

from application.errors import ActionFailed
from application.services import Services
from flows.actions import contract, dispute_steps, invoice_steps, sign
from flows.actions.step_types import ActionResult, StepRef

Handler = Callable[[Services, int, StepRef], ActionResult]

HANDLERS: dict[tuple[str, str], Handler] = {
    ("contract", "render"): contract.draft_contract,
    ("signature", "sign"): sign.open_signature,
    ("invoice", "render"): invoice_steps.render_invoice,
    ("invoice", "seal"): invoice_steps.seal_invoice,
    ("invoice", "archive"): invoice_steps.archive_invoice,
    ("invoice", "send"): invoice_steps.send_invoice,
    ("invoice", "deposit"): invoice_steps.deposit_invoice,
    ("dispute", "legal_hold"): dispute_steps.hold,
    ("invoice", "credit_note"): dispute_steps.credit_note,
    ("invoice", "correct_invoice"): dispute_steps.corrected_invoice,
}


def handler_for(kind: str, action: str) -> Handler:
    try:
        return HANDLERS[(kind, action)]
    except KeyError:
        raise ActionFailed(
            f"Aucune action automatique « {action} » pour une étape de type « {kind} ».",
            f"No automatic action '{action}' for a step of kind '{kind}'.") from None


__all__ = ["HANDLERS", "ActionFailed", "ActionResult", "StepRef", "handler_for"]
