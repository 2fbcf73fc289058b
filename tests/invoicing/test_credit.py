"""Credit notes (whole, by lines, by amount), the over-credit guard, and re-issue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent, verify
from dossiers.db import transaction
from dossiers.errors import ConflictError, NotFound, ValidationError
from dossiers.invoicing.credit import credit_invoice, reissue
from dossiers.invoicing.models import Invoice, InvoiceKind

D = Decimal


@pytest.fixture
def credit(db: sessionmaker[Session]):
    def run(**data: Any) -> Invoice:
        with transaction(db) as s:
            return credit_invoice(s, {"reason": "Erreur de tarif", **data}, actor="tester")
    return run


@pytest.fixture
def invoice(issue, make_customer) -> Invoice:
    c = make_customer(discount_subscriptions_pct=D("5"))
    return issue(customer=c.number, lines=[
        {"description": "Revue A", "quantity": "3", "unit_price": "40", "vat_rate": "2.1",
         "kind": "subscription"},
        {"description": "Livre B", "quantity": "2", "unit_price": "25", "vat_rate": "5.5"},
        {"description": "Formation", "quantity": "1", "unit_price": "100", "kind": "service"},
    ], adjustments=[{"amount": "10", "reason": "Geste commercial", "vat_rate": "20"}])


def test_full_credit_mirrors_the_invoice(credit, invoice) -> None:
    note = credit(invoice=invoice.number)
    assert (note.kind, note.type_code, note.number) == (InvoiceKind.CREDIT_NOTE, "381",
                                                        "AV2026-00001")
    assert (note.referenced_number, note.referenced_date) == (invoice.number, invoice.issue_date)
    for field in ("line_total", "allowance_total", "tax_basis_total", "tax_total", "grand_total"):
        assert getattr(note, field) == getattr(invoice, field) > 0
    assert note.vat_breakdown == invoice.vat_breakdown
    assert note.buyer == invoice.buyer and note.seller == invoice.seller
    assert all(ln.quantity > 0 for ln in note.lines)
    with pytest.raises(ConflictError, match="entièrement créditée"):
        credit(invoice=invoice.number)


def test_partial_credit_by_lines_then_the_rest(credit, invoice) -> None:
    note = credit(invoice=invoice.number, lines=[{"position": 1, "quantity": "1"}])
    assert note.tax_basis_total == D("38.00") and note.tax_total == D("0.80")
    assert note.lines[0].description == "Revue A" and note.lines[0].discount_pct == D("5")
    with pytest.raises(ValidationError, match="il ne reste que 2"):
        credit(invoice=invoice.number, lines=[{"position": 1, "quantity": "3"}])
    with pytest.raises(ConflictError, match="déjà partiellement"):
        credit(invoice=invoice.number)
    rest = credit(invoice=invoice.number, lines=[{"position": 1}, {"position": 2}])
    assert [ln.quantity for ln in rest.lines] == [D("2"), D("2")]
    with pytest.raises(ValidationError, match="n'a pas de ligne 9"):
        credit(invoice=invoice.number, lines=[{"position": 9}])


def test_partial_credit_by_amount_spreads_over_vat_groups(credit, invoice) -> None:
    note = credit(invoice=invoice.number, amount="50")
    assert note.tax_basis_total == D("50.00")
    bases = {(r["rate"]): D(r["taxable_amount"]) for r in note.vat_breakdown}
    assert set(bases) == {r["rate"] for r in invoice.vat_breakdown}
    assert sum(bases.values()) == D("50.00")


def test_over_credit_is_refused_and_takes_no_number(credit, invoice, db) -> None:
    remaining = invoice.tax_basis_total
    with pytest.raises(ValidationError, match="il ne reste que"):
        credit(invoice=invoice.number, amount=str(remaining + D("0.01")))
    credit(invoice=invoice.number, amount="100")
    with pytest.raises(ValidationError, match=f"il ne reste que {remaining - 100}"):
        credit(invoice=invoice.number, amount=str(remaining - 99))
    last = credit(invoice=invoice.number, amount=str(remaining - 100))
    assert last.number == "AV2026-00002"


def test_credit_input_errors(credit, invoice) -> None:
    with pytest.raises(NotFound):
        credit(invoice="F2026-99999")
    with pytest.raises(ValidationError, match="pas les deux"):
        credit(invoice=invoice.number, amount="1", lines=[{"position": 1}])
    note = credit(invoice=invoice.number, amount="1")
    with pytest.raises(ValidationError, match="n'est pas une facture émise"):
        credit(invoice=note.number)


def test_reissue_is_one_transaction(db, invoice, seller, make_customer) -> None:
    replacement = {"customer": invoice.buyer["customer_number"], "lines": [
        {"description": "Revue A", "quantity": "2", "unit_price": "40", "vat_rate": "2.1",
         "kind": "subscription"}]}
    with transaction(db) as s:
        note, new = reissue(s, {"invoice": invoice.number, "reason": "Quantité corrigée"},
                            replacement, seller, actor="tester")
    assert (note.number, new.number) == ("AV2026-00001", "F2026-00002")
    assert note.grand_total == invoice.grand_total and new.line_total == D("76.00")
    with db() as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions[-4:] == ["credit_note.issued", "invoice.credited", "invoice.issued",
                                "invoice.reissued"]
        assert verify(s).ok
    other = make_customer()
    with pytest.raises(ValidationError, match="même client"), transaction(db) as s:
        reissue(s, {"invoice": new.number, "reason": "x"},
                {**replacement, "customer": other.number}, seller)
    with db() as s:  # the refused re-issue left nothing behind
        assert len(s.scalars(select(Invoice)).all()) == 3
