"""Draft invoices: prepared (and reviewable) now, numbered and issued later.

An invoicing wave can prepare its drafts, let someone review them, then issue them. A draft has
no number, so it burns nothing; issuing re-runs every check against today's customer record and
recomputes dates and totals from the stored input before taking the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.db import for_update
from dossiers.errors import IllegalTransition, NotFound
from dossiers.invoicing.inputs import InvoiceInput, parse_input
from dossiers.invoicing.models import Invoice, InvoiceState
from dossiers.invoicing.parties import SellerSnapshot
from dossiers.invoicing.service import number_invoice, prepare_invoice, record_issue

#: Columns a fresh preparation overwrites on the draft row (identity and history are kept).
_KEPT = frozenset({"id", "created_at", "draft_input"})


def save_draft(
    session: Session, data: InvoiceInput | Mapping[str, Any], seller: SellerSnapshot, *,
    actor: str = "system", today: date | None = None,
) -> Invoice:
    """Check and store a draft (state draft, no number)."""
    checked = parse_input(InvoiceInput, data)
    draft = prepare_invoice(session, checked, seller, today or date.today())
    draft.draft_input = checked.model_dump(mode="json")
    session.add(draft)
    session.flush()
    record(session, "invoice.draft_saved", subject_type="invoice", subject_id=draft.id,
           actor=actor, customer_id=draft.customer_id,
           data={"tax_basis_total": str(draft.tax_basis_total)})
    return draft


def issue_draft(
    session: Session, draft_id: int, seller: SellerSnapshot, *, actor: str = "system",
    today: date | None = None,
) -> Invoice:
    """Re-check, recompute and number a draft; it becomes an issued invoice (same row)."""
    query = select(Invoice).where(Invoice.id == draft_id)
    if for_update(session):
        query = query.with_for_update()
    draft = session.scalars(query).one_or_none()
    if draft is None:
        raise NotFound(f"Brouillon {draft_id} introuvable.", f"Draft {draft_id} not found.")
    if draft.state is not InvoiceState.DRAFT or draft.draft_input is None:
        raise IllegalTransition(
            f"La facture {draft.number or draft_id} n'est pas un brouillon.",
            f"Invoice {draft.number or draft_id} is not a draft.",
        )
    checked = InvoiceInput.model_validate(draft.draft_input)
    fresh = prepare_invoice(session, checked, seller, today or date.today())
    for column in Invoice.__table__.columns:
        if column.key not in _KEPT:
            setattr(draft, column.key, getattr(fresh, column.key))
    lines, adjustments = list(fresh.lines), list(fresh.adjustments)
    fresh.lines, fresh.adjustments = [], []
    draft.lines, draft.adjustments = lines, adjustments
    number_invoice(session, draft, actor)
    record_issue(session, draft, actor)
    return draft


def delete_draft(session: Session, draft_id: int, *, actor: str = "system") -> None:
    """Drop a draft that will not be issued (issued invoices can never be deleted)."""
    draft = session.get(Invoice, draft_id)
    if draft is None or draft.state is not InvoiceState.DRAFT:
        raise IllegalTransition(f"{draft_id} n'est pas un brouillon.",
                                f"{draft_id} is not a draft.")
    session.delete(draft)
    session.flush()
    record(session, "invoice.draft_deleted", subject_type="invoice", subject_id=draft_id,
           actor=actor, customer_id=draft.customer_id)
