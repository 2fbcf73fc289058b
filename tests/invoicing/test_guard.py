"""An issued invoice cannot be modified or deleted through the ORM; lifecycle states can change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import transaction
from dossiers.invoicing.immutability import ImmutableInvoiceError
from dossiers.invoicing.models import Invoice, InvoiceAdjustment, InvoiceState

LINE = {"description": "Abonnement", "quantity": "2", "unit_price": "10"}


@pytest.fixture
def issued(issue, make_customer) -> Invoice:
    return issue(customer=make_customer().number, lines=[LINE, LINE])


@pytest.mark.parametrize("change", [
    lambda inv: setattr(inv, "grand_total", Decimal("1.00")),
    lambda inv: setattr(inv, "number", "F2026-99999"),
    lambda inv: setattr(inv, "buyer", {"name": "autre"}),
    lambda inv: setattr(inv.lines[0], "unit_price", Decimal("1")),
    lambda inv: inv.lines.pop(),
    lambda inv: inv.adjustments.append(InvoiceAdjustment(
        position=1, is_charge=False, amount=Decimal(1), reason="x", vat_category="S",
        vat_rate=Decimal(20))),
])
def test_issued_invoice_content_is_frozen(db: sessionmaker[Session], issued, change) -> None:
    with pytest.raises(ImmutableInvoiceError, match=issued.number), transaction(db) as s:
        change(s.get(Invoice, issued.id))
        s.flush()
    with db() as s:
        again = s.get(Invoice, issued.id)
        assert again.grand_total == Decimal("48.00") and len(again.lines) == 2


def test_issued_invoice_cannot_be_deleted(db: sessionmaker[Session], issued) -> None:
    with pytest.raises(ImmutableInvoiceError), transaction(db) as s:
        s.delete(s.get(Invoice, issued.id))
        s.flush()


def test_lifecycle_state_may_change(db: sessionmaker[Session], issued) -> None:
    with transaction(db) as s:
        s.get(Invoice, issued.id).state = InvoiceState.DEPOSITED
    with db() as s:
        assert s.get(Invoice, issued.id).state is InvoiceState.DEPOSITED
