"""Property test: whatever sequence of credits is attempted, the credited total never exceeds
the invoice, credited quantities never exceed invoiced ones, and refused attempts take no
credit-note number (the series stays consecutive)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import transaction
from dossiers.errors import LiasseError
from dossiers.invoicing.credit import credit_invoice
from dossiers.invoicing.models import Invoice, InvoiceLine

attempt = st.one_of(
    st.builds(lambda a: {"amount": str(a)}, st.decimals("0.01", "150", places=2)),
    st.builds(lambda p, q: {"lines": [{"position": p, "quantity": str(q)}]},
              st.integers(1, 3), st.integers(1, 3)),
    st.just({}),  # the whole invoice
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(attempt, min_size=1, max_size=6))
def test_credits_never_exceed_the_invoice(db: sessionmaker[Session], issue, make_customer,
                                          attempts) -> None:
    invoice = issue(customer=make_customer().number, lines=[
        {"description": "A", "quantity": "3", "unit_price": "19.99", "vat_rate": "5.5"},
        {"description": "B", "quantity": "2", "unit_price": "12.35", "discount_pct": "7"},
        {"description": "C", "quantity": "1", "unit_price": "40", "vat_rate": "2.1"}])
    for data in attempts:
        try:
            with transaction(db) as s:
                credit_invoice(s, {"invoice": invoice.number, "reason": "test", **data})
        except LiasseError:
            pass
    with db() as s:
        notes = s.scalars(select(Invoice).where(Invoice.referenced_invoice_id == invoice.id)
                          ).all()
        assert sum((n.tax_basis_total for n in notes), Decimal(0)) <= invoice.tax_basis_total
        for line in invoice.lines:
            credited = sum(q for q in s.scalars(select(InvoiceLine.quantity).where(
                InvoiceLine.credited_line_id == line.id)))
            assert credited <= line.quantity
        all_notes = s.scalars(select(Invoice.number).where(Invoice.type_code == "381")).all()
    assert sorted(all_notes) == [f"AV2026-{n:05d}" for n in range(1, len(all_notes) + 1)]
