"""Property tests: EN 16931 totals always satisfy BR-CO-10 … BR-CO-17, whatever the input."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers.invoicing.totals import (
    TotalsAdjustment,
    TotalsLine,
    compute_totals,
    money,
    normal_rate,
)

PAIRS = [("S", "20"), ("S", "10"), ("S", "5.5"), ("S", "2.1"), ("Z", "0"), ("E", "0"),
         ("AE", "0"), ("K", "0")]
vat = st.sampled_from(PAIRS).map(lambda p: (p[0], Decimal(p[1])))
quantities = st.decimals("0.0001", "10000", places=4)
prices = st.decimals("0", "100000", places=4)
percents = st.decimals("0", "100", places=2)
amounts = st.decimals("0.01", "5000", places=2)

lines = st.builds(
    lambda q, p, v, d: TotalsLine(q, p, v[0], v[1], d), quantities, prices, vat, percents
)
adjustments = st.builds(
    lambda a, charge, v: TotalsAdjustment(a, charge, v[0], v[1]), amounts, st.booleans(), vat
)


def two_places(value: Decimal) -> bool:
    return value == value.quantize(Decimal("0.01"))


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, min_size=1, max_size=12), st.lists(adjustments, max_size=4),
       st.decimals("0", "1000", places=2))
def test_totals_satisfy_br_co_rules(lines, adjustments, prepaid) -> None:
    t = compute_totals(lines, adjustments, prepaid_amount=prepaid)
    allowances = [a for a in adjustments if not a.is_charge]
    charges = [a for a in adjustments if a.is_charge]
    # line net = round(qty × price) − round(gross × discount %)
    for line, result in zip(lines, t.lines, strict=True):
        assert result.gross_amount == money(line.quantity * line.unit_price)
        assert result.net_amount == result.gross_amount - result.allowance_amount
        assert two_places(result.net_amount)
    assert t.line_total == sum(r.net_amount for r in t.lines)  # BR-CO-10
    assert t.allowance_total == sum(a.amount for a in allowances)  # BR-CO-11
    assert t.charge_total == sum(a.amount for a in charges)  # BR-CO-12
    assert t.tax_basis_total == t.line_total - t.allowance_total + t.charge_total  # BR-CO-13
    assert t.tax_total == sum(b.tax_amount for b in t.vat_breakdown)  # BR-CO-14
    assert t.grand_total == t.tax_basis_total + t.tax_total  # BR-CO-15
    assert t.due_payable_amount == t.grand_total - t.prepaid_amount + t.rounding_amount  # CO-16
    keys = [(b.category, b.rate) for b in t.vat_breakdown]
    assert len(keys) == len(set(keys))  # one breakdown row per (category, rate)
    for b in t.vat_breakdown:
        assert b.tax_amount == money(b.taxable_amount * b.rate / 100)  # BR-CO-17
        expected = sum(r.net_amount for ln, r in zip(lines, t.lines, strict=True)
                       if (ln.vat_category, normal_rate(ln.vat_rate)) == (b.category, b.rate))
        expected += sum(a.amount if a.is_charge else -a.amount for a in adjustments
                        if (a.vat_category, normal_rate(a.vat_rate)) == (b.category, b.rate))
        assert b.taxable_amount == expected  # BR-S-08, BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08
        if b.category != "S":
            assert b.tax_amount == 0
    assert sum(b.taxable_amount for b in t.vat_breakdown) == t.tax_basis_total
    for value in (t.line_total, t.tax_basis_total, t.tax_total, t.grand_total,
                  t.due_payable_amount):
        assert two_places(value)


def test_rounding_is_half_up() -> None:
    t = compute_totals([TotalsLine(Decimal(1), Decimal("0.125"), "S", Decimal(20))])
    assert t.line_total == Decimal("0.13")
    t = compute_totals([TotalsLine(Decimal(1), Decimal("2.50"), "S", Decimal("5.5"))])
    assert t.tax_total == Decimal("0.14")  # 0.1375 -> 0.14
