"""Drafts (no number until issued, re-checked at issue) and lifecycle states after issue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer, CustomerState
from dossiers.db import transaction
from dossiers.errors import IllegalTransition, ValidationError
from dossiers.invoicing.drafts import delete_draft, issue_draft, save_draft
from dossiers.invoicing.lifecycle import change_state
from dossiers.invoicing.models import Invoice, InvoiceState

LINE = {"description": "Abonnement", "quantity": "2", "unit_price": "30", "vat_rate": "2.1"}


def _draft(db: sessionmaker[Session], seller, customer: str) -> int:
    with transaction(db) as s:
        return save_draft(s, {"customer": customer, "lines": [LINE]}, seller,
                          today=date(2026, 3, 1)).id


def test_draft_takes_no_number_until_issued(db, seller, issue, make_customer) -> None:
    c = make_customer(payment_term_days=10)
    draft_id = _draft(db, seller, c.number)
    assert issue(customer=c.number, lines=[LINE]).number == "F2026-00001"
    with transaction(db) as s:
        inv = issue_draft(s, draft_id, seller, today=date(2026, 3, 5))
        assert (inv.id, inv.number, inv.state) == (draft_id, "F2026-00002", InvoiceState.ISSUED)
        assert (inv.issue_date, inv.due_date) == (date(2026, 3, 5), date(2026, 3, 15))
        assert inv.grand_total == Decimal("61.26") and len(inv.lines) == 1
    with pytest.raises(IllegalTransition), transaction(db) as s:
        issue_draft(s, draft_id, seller)


def test_issuing_a_draft_rechecks_the_customer(db, seller, make_customer) -> None:
    c = make_customer()
    draft_id = _draft(db, seller, c.number)
    with transaction(db) as s:
        s.get(Customer, c.id).state = CustomerState.STRUCK_OFF
    with pytest.raises(ValidationError, match="radié"), transaction(db) as s:
        issue_draft(s, draft_id, seller, today=date(2026, 3, 5))
    with transaction(db) as s:
        assert s.get(Invoice, draft_id).number is None
        delete_draft(s, draft_id)
    with db() as s:
        assert s.get(Invoice, draft_id) is None
        assert "invoice.draft_deleted" in s.scalars(select(AuditEvent.action)).all()


def test_lifecycle_transitions_are_checked_and_audited(db, issue, make_customer) -> None:
    inv = issue(customer=make_customer().number, lines=[LINE])
    with transaction(db) as s:
        current = s.get(Invoice, inv.id)
        change_state(s, current, InvoiceState.DEPOSITED, actor="chorus", detail="flux 123")
        change_state(s, current, InvoiceState.REJECTED, actor="chorus")
    with pytest.raises(IllegalTransition, match="rejected"), transaction(db) as s:
        change_state(s, s.get(Invoice, inv.id), InvoiceState.PAID)
    with db() as s:
        events = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "invoice.state_changed").order_by(AuditEvent.seq)).all()
        assert [(e.data["from"], e.data["to"]) for e in events] == [
            ("issued", "deposited"), ("deposited", "rejected")]
