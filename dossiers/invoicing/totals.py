"""EN 16931 invoice totals, computed with `Decimal` only (no database, no I/O).

The calculation follows the norm's rules so the CII schematron agrees with every figure:

- line net (BT-131) = round(quantity × unit price, 2) − line allowance (BT-136), where the
  allowance is round(gross × discount % / 100, 2);
- BT-106 = Σ line nets (BR-CO-10); BT-107 = Σ document allowances (BR-CO-11);
  BT-108 = Σ document charges (BR-CO-12); BT-109 = BT-106 − BT-107 + BT-108 (BR-CO-13);
- per (category, rate): BT-116 = Σ line nets + charges − allowances of that pair (BR-S-08 …),
  BT-117 = round(BT-116 × rate / 100, 2) (BR-CO-17);
- BT-110 = Σ BT-117 (BR-CO-14); BT-112 = BT-109 + BT-110 (BR-CO-15);
  BT-115 = BT-112 − BT-113 + BT-114 (BR-CO-16).

Rounding is half-up to the cent, the commercial convention in France.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (never banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TotalsLine:
    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    discount_pct: Decimal = Decimal(0)


@dataclass(frozen=True)
class TotalsAdjustment:
    """A document-level allowance (`is_charge=False`) or charge, always a positive amount."""

    amount: Decimal
    is_charge: bool
    vat_category: str
    vat_rate: Decimal


@dataclass(frozen=True)
class LineResult:
    gross_amount: Decimal  # quantity × unit price, rounded (BT-137 base of the line allowance)
    allowance_amount: Decimal  # BT-136
    net_amount: Decimal  # BT-131


@dataclass(frozen=True)
class VatBreakdown:
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineResult, ...]
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_basis_total: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112
    prepaid_amount: Decimal  # BT-113
    rounding_amount: Decimal  # BT-114
    due_payable_amount: Decimal  # BT-115
    vat_breakdown: tuple[VatBreakdown, ...] = field(default_factory=tuple)


def line_amounts(line: TotalsLine) -> LineResult:
    gross = money(line.quantity * line.unit_price)
    allowance = money(gross * line.discount_pct / HUNDRED) if line.discount_pct else ZERO
    return LineResult(gross, allowance, gross - allowance)


def normal_rate(rate: Decimal) -> Decimal:
    """A rate without trailing zeros or exponent: 20.00 -> 20, 5.50 -> 5.5, 0.00 -> 0."""
    rate = rate.normalize()
    return rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate


def _key(category: str, rate: Decimal) -> tuple[str, Decimal]:
    return category, normal_rate(rate)


def compute_totals(
    lines: Sequence[TotalsLine],
    adjustments: Iterable[TotalsAdjustment] = (),
    prepaid_amount: Decimal = ZERO,
    rounding_amount: Decimal = ZERO,
) -> Totals:
    """All the document totals and the VAT breakdown, ordered by category then rate."""
    results = tuple(line_amounts(line) for line in lines)
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line, result in zip(lines, results, strict=True):
        key = _key(line.vat_category, line.vat_rate)
        bases[key] = bases.get(key, ZERO) + result.net_amount
    allowance_total = charge_total = ZERO
    for adj in adjustments:
        amount = money(adj.amount)
        key = _key(adj.vat_category, adj.vat_rate)
        bases[key] = bases.get(key, ZERO) + (amount if adj.is_charge else -amount)
        if adj.is_charge:
            charge_total += amount
        else:
            allowance_total += amount
    breakdown = tuple(
        VatBreakdown(cat, rate, base, money(base * rate / HUNDRED))
        for (cat, rate), base in sorted(bases.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    )
    line_total = sum((r.net_amount for r in results), ZERO)
    tax_basis_total = line_total - allowance_total + charge_total
    tax_total = sum((b.tax_amount for b in breakdown), ZERO)
    grand_total = tax_basis_total + tax_total
    return Totals(
        lines=results,
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_basis_total=tax_basis_total,
        tax_total=tax_total,
        grand_total=grand_total,
        prepaid_amount=money(prepaid_amount),
        rounding_amount=money(rounding_amount),
        due_payable_amount=grand_total - money(prepaid_amount) + money(rounding_amount),
        vat_breakdown=breakdown,
    )
