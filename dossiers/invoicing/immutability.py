"""ORM-level guard: an issued invoice's content can never be modified or deleted.

The services already refuse such edits; this listener is the safety net for any other code path
that loads an invoice and changes it through the ORM (an admin script, a future feature). Only
lifecycle fields may change once issued. Core `UPDATE` statements bypass the ORM and therefore
this guard; the audit trail and the archived PDF remain the proof in that case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from dossiers.errors import IllegalTransition
from dossiers.invoicing.models import Invoice, InvoiceAdjustment, InvoiceLine, InvoiceState

#: What the delivery / payment follow-ups may still change on an issued invoice.
MUTABLE_AFTER_ISSUE = frozenset({"state", "state_changed_at"})


class ImmutableInvoiceError(IllegalTransition):
    """Someone tried to change or delete an issued invoice instead of issuing a credit note."""


def _was_issued(session: Session, invoice: Invoice | None) -> bool:
    if invoice is None or invoice in session.new:
        return False
    original = _original(invoice, "state")
    return original is not None and InvoiceState(original) is not InvoiceState.DRAFT


def _original(invoice: Invoice, key: str) -> Any:
    history = inspect(invoice).attrs[key].history
    return history.deleted[0] if history.deleted else getattr(invoice, key)


def _refuse(invoice: Invoice, what_fr: str, what_en: str) -> None:
    number = _original(invoice, "number") or f"#{invoice.id}"
    raise ImmutableInvoiceError(
        f"La facture {number} est émise : {what_fr} est interdit ; émettez un avoir.",
        f"Invoice {number} has been issued: {what_en} is not allowed; issue a credit note instead.",
    )


def _changed_attributes(obj: Any, ignore: frozenset[str] = frozenset()) -> list[str]:
    return [a.key for a in inspect(obj).attrs if a.key not in ignore and a.history.has_changes()]


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    for obj in session.dirty:
        if isinstance(obj, Invoice) and _was_issued(session, obj):
            changed = _changed_attributes(obj, MUTABLE_AFTER_ISSUE)
            if changed:
                fields = ", ".join(changed)
                _refuse(obj, f"modifier {fields}", f"changing {fields}")
        elif (isinstance(obj, InvoiceLine | InvoiceAdjustment)
              and _was_issued(session, obj.invoice)
              and _changed_attributes(obj, frozenset({"invoice"}))):
            _refuse(obj.invoice, "modifier une ligne", "changing a line")
    for obj in session.new:
        if isinstance(obj, InvoiceLine | InvoiceAdjustment) and _was_issued(session, obj.invoice):
            _refuse(obj.invoice, "ajouter une ligne", "adding a line")
    for obj in session.deleted:
        if isinstance(obj, Invoice) and _was_issued(session, obj):
            _refuse(obj, "la supprimer", "deleting it")
        if isinstance(obj, InvoiceLine | InvoiceAdjustment) and _was_issued(session, obj.invoice):
            _refuse(obj.invoice, "supprimer une ligne", "deleting a line")
