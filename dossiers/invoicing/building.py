"""Turning checked input into an invoice object with its lines, adjustments and totals.

Shared by issuing and crediting: both produce `Invoice` rows whose stored amounts come from
`totals.compute_totals`, so what is printed and sent is exactly what the pure calculation says.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from dossiers.errors import ValidationError
from dossiers.invoicing.models import Invoice, InvoiceAdjustment, InvoiceLine, LineKind
from dossiers.invoicing.parties import BuyerSnapshot
from dossiers.invoicing.totals import (
    TotalsAdjustment,
    TotalsLine,
    compute_totals,
    normal_rate,
)
from dossiers.invoicing.vat import EU_COUNTRIES, VatCategory, vat_country


def _key(category: str, rate: Decimal) -> tuple[str, Decimal]:
    return category, normal_rate(rate)


def apply_totals(invoice: Invoice) -> None:
    """Compute and store the line amounts, document totals and VAT breakdown."""
    totals = compute_totals(
        [TotalsLine(ln.quantity, ln.unit_price, ln.vat_category, ln.vat_rate, ln.discount_pct)
         for ln in invoice.lines],
        [TotalsAdjustment(a.amount, a.is_charge, a.vat_category, a.vat_rate)
         for a in invoice.adjustments],
        prepaid_amount=invoice.prepaid_amount or Decimal(0),
    )
    for line, result in zip(invoice.lines, totals.lines, strict=True):
        line.discount_amount = result.allowance_amount
        line.net_amount = result.net_amount
    exemptions: dict[tuple[str, Decimal], tuple[str | None, str | None]] = {}
    for line in invoice.lines:
        key, value = _key(line.vat_category, line.vat_rate), (line.exemption_code,
                                                              line.exemption_reason)
        if exemptions.setdefault(key, value) != value:
            raise ValidationError(
                f"Deux motifs d'exonération différents pour la catégorie {key[0]} : une facture "
                "porte un seul motif par catégorie et taux.",
                f"Two different exemption reasons for VAT category {key[0]}: an invoice carries "
                "one reason per category and rate.",
            )
    for adj in invoice.adjustments:
        key = _key(adj.vat_category, adj.vat_rate)
        if key not in exemptions and key[0] not in (VatCategory.STANDARD, VatCategory.ZERO):
            raise ValidationError(
                f"Remise ou frais en catégorie {key[0]} sans ligne de cette catégorie : le motif "
                "d'exonération viendrait à manquer.",
                f"Allowance or charge in category {key[0]} without a line of that category: the "
                "exemption reason would be missing.",
            )
    invoice.line_total = totals.line_total
    invoice.allowance_total = totals.allowance_total
    invoice.charge_total = totals.charge_total
    invoice.tax_basis_total = totals.tax_basis_total
    invoice.tax_total = totals.tax_total
    invoice.grand_total = totals.grand_total
    invoice.prepaid_amount = totals.prepaid_amount
    invoice.rounding_amount = totals.rounding_amount
    invoice.due_payable_amount = totals.due_payable_amount
    invoice.vat_breakdown = [
        {
            "category": row.category,
            "rate": str(row.rate),
            "taxable_amount": str(row.taxable_amount),
            "tax_amount": str(row.tax_amount),
            "exemption_code": exemptions.get((row.category, row.rate), (None, None))[0],
            "exemption_reason": exemptions.get((row.category, row.rate), (None, None))[1],
        }
        for row in totals.vat_breakdown
    ]


def check_parties_for_vat(
    categories: set[str], seller_vat: str | None, seller_country: str, buyer: BuyerSnapshot
) -> None:
    """Invoice-level VAT rules that depend on the parties (EN 16931 BR-AE-*, BR-IC-*, BR-G-*,
    BR-O-*)."""
    if VatCategory.REVERSE_CHARGE in categories and not (seller_vat and buyer.vat_number):
        raise ValidationError(
            "Autoliquidation (AE) : les numéros de TVA du vendeur et de l'acheteur sont "
            f"obligatoires ; le client {buyer.customer_number} n'en a pas.",
            "Reverse charge (AE) needs both the seller's and the buyer's VAT numbers; customer "
            f"{buyer.customer_number} has none.",
        )
    if VatCategory.INTRA_EU in categories:
        country = vat_country(buyer.vat_number) if buyer.vat_number else None
        if not seller_vat or country is None or country == seller_country or (
            country not in EU_COUNTRIES
        ):
            raise ValidationError(
                "Livraison intracommunautaire (K) : l'acheteur doit avoir un numéro de TVA "
                f"d'un autre État membre de l'UE (client {buyer.customer_number}).",
                "Intra-EU supply (K) needs a buyer VAT number from another EU member state "
                f"(customer {buyer.customer_number}).",
            )
    if VatCategory.EXPORT in categories and not seller_vat:
        # BR-G-02/03/04: only the seller's VAT number is needed; the foreign buyer has none.
        raise ValidationError(
            "Exportation hors UE (G) : le numéro de TVA du vendeur est obligatoire ; le profil "
            "société n'en a pas.",
            "Export outside the EU (G) needs the seller's VAT number; the company profile has "
            "none.",
        )
    if VatCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        raise ValidationError(
            "Une facture hors champ de TVA (O) ne peut pas contenir d'autres catégories de TVA.",
            "An invoice outside the scope of VAT (O) cannot contain other VAT categories.",
        )


def business_process(kinds: Sequence[LineKind]) -> str:
    """BT-23 billing mode (BR-FR-08): B1 goods, S1 services, M1 both."""
    goods = any(k in (LineKind.SUBSCRIPTION, LineKind.ITEM) for k in kinds)
    services = any(k is LineKind.SERVICE for k in kinds)
    return "M1" if goods and services else ("S1" if services else "B1")


def copy_line(line: InvoiceLine, position: int, quantity: Decimal) -> InvoiceLine:
    """A credit-note line cancelling `quantity` of an invoice line, at the same price and VAT."""
    return InvoiceLine(
        position=position, kind=line.kind, description=line.description, quantity=quantity,
        unit_code=line.unit_code, unit_price=line.unit_price, discount_pct=line.discount_pct,
        vat_category=line.vat_category, vat_rate=line.vat_rate,
        exemption_code=line.exemption_code, exemption_reason=line.exemption_reason,
        beneficiary_id=line.beneficiary_id, beneficiary_name=line.beneficiary_name,
        credited_line_id=line.id,
    )


def copy_adjustment(adj: InvoiceAdjustment, position: int) -> InvoiceAdjustment:
    return InvoiceAdjustment(
        position=position, is_charge=adj.is_charge, amount=adj.amount, reason=adj.reason,
        reason_code=adj.reason_code, vat_category=adj.vat_category, vat_rate=adj.vat_rate,
    )
