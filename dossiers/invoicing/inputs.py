"""Invoice input at the edge: pydantic models plus the business checks with clear messages.

Shapes and types (a number where a number is expected, lengths) are pydantic's job; the rules a
clerk must understand (a negative quantity, an unknown VAT category, a rate the category does
not allow, a missing exemption reason) raise `ValidationError` with the line number, in French
and English, before anything is written or any number is taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dossiers import identifiers
from dossiers.errors import ValidationError
from dossiers.input_validation import pydantic_reason
from dossiers.invoicing.models import LineKind
from dossiers.invoicing.vat import check_rate, exemption_for, parse_category

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,3}$")]  # UN/ECE rec 20

Model = TypeVar("Model", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineInput(_Strict):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=500)]
    quantity: Annotated[Decimal, Field(max_digits=16, decimal_places=4)]
    unit_price: Price
    unit_code: UnitCode = "C62"
    kind: LineKind = LineKind.ITEM
    vat_category: str = "S"
    vat_rate: Decimal = Decimal(20)
    # None: the customer's default discount for this kind of line (seed 002 "Comptabilité").
    discount_pct: Percent | None = None
    exemption_code: Annotated[str, StringConstraints(max_length=30)] | None = None
    exemption_reason: Annotated[str, StringConstraints(max_length=300)] | None = None
    beneficiary: str | None = None  # customer number of a third-party payer's beneficiary


class AdjustmentInput(_Strict):
    """A document-level allowance (`is_charge` false) or charge; the amount is positive."""

    amount: Annotated[Money, Field(gt=0)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    is_charge: bool = False
    reason_code: Annotated[str, StringConstraints(max_length=3)] | None = None
    vat_category: str = "S"
    vat_rate: Decimal = Decimal(20)


class PaymentMeansInput(_Strict):
    """UNTDID 4461: 30/58 transfer, 59 SEPA direct debit, 48/54 card."""

    code: Literal["30", "58", "59", "48", "54"]
    iban: str | None = None  # payee account; defaults to the seller's
    bic: str | None = None
    mandate_reference: str | None = None  # 59: defaults to the customer's RUM
    creditor_id: str | None = None  # 59: defaults to the seller's SEPA creditor id
    debtor_iban: str | None = None  # 59: defaults to the customer's IBAN
    card_last_digits: Annotated[str, StringConstraints(pattern=r"^\d{4,6}$")] | None = None

    @model_validator(mode="after")
    def _identifiers(self) -> PaymentMeansInput:
        for name in ("iban", "debtor_iban"):
            if getattr(self, name):
                identifiers.validate_iban(getattr(self, name), field=name)
        if self.bic:
            identifiers.validate_bic(self.bic)
        if self.mandate_reference:
            identifiers.validate_mandate_reference(self.mandate_reference)
        return self


def _where(index: int) -> str:
    return f" (ligne {index})"


class InvoiceInput(_Strict):
    customer: Text  # customer number of the buyer
    lines: Annotated[list[LineInput], Field(min_length=1)]
    adjustments: list[AdjustmentInput] = []
    issue_date: date | None = None
    delivery_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    payment_means: PaymentMeansInput | None = None
    payment_terms: Annotated[str, StringConstraints(max_length=500)] | None = None
    po_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    service_code: Annotated[str, StringConstraints(strip_whitespace=True,
                                                   max_length=100)] | None = None
    notes: list[Annotated[str, StringConstraints(max_length=1000)]] = []
    language: Literal["fr", "en"] | None = None
    prepaid_amount: Annotated[Money, Field(ge=0)] = Decimal(0)
    series: str = "invoice"

    @model_validator(mode="after")
    def _business_rules(self) -> InvoiceInput:
        for index, line in enumerate(self.lines, start=1):
            where = _where(index)
            if line.quantity <= 0:
                raise ValidationError(
                    f"Quantité {line.quantity} refusée{where} : une facture ne porte que des "
                    "quantités positives ; pour annuler, émettez un avoir.",
                    f"Quantity {line.quantity} refused (line {index}): an invoice only carries "
                    "positive quantities; to cancel, issue a credit note.",
                )
            category = parse_category(line.vat_category, where)
            check_rate(category, line.vat_rate, where)
            exemption_for(category, line.exemption_code, line.exemption_reason, "fr", where)
        for index, adj in enumerate(self.adjustments, start=1):
            where = f" (remise/frais {index})"
            check_rate(parse_category(adj.vat_category, where), adj.vat_rate, where)
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError(
                "La fin de la période de facturation précède son début.",
                "The invoicing period ends before it starts.",
            )
        return self


#: French / English names of the invoice fields, for error messages.
INVOICE_LABELS: dict[str, tuple[str, str]] = {
    "customer": ("client", "customer"),
    "lines": ("lignes", "lines"),
    "adjustments": ("remises/frais", "allowances/charges"),
    "issue_date": ("date de facture", "issue date"),
    "delivery_date": ("date de livraison", "delivery date"),
    "period_start": ("début de période", "period start"),
    "period_end": ("fin de période", "period end"),
    "payment_means": ("moyen de paiement", "payment means"),
    "payment_terms": ("conditions de paiement", "payment terms"),
    "po_number": ("bon de commande / engagement", "purchase order"),
    "service_code": ("code service", "service code"),
    "notes": ("mentions", "notes"),
    "language": ("langue", "language"),
    "prepaid_amount": ("acompte versé", "prepaid amount"),
    "series": ("série de numérotation", "numbering series"),
    "description": ("libellé", "description"),
    "quantity": ("quantité", "quantity"),
    "unit_price": ("prix unitaire", "unit price"),
    "unit_code": ("unité", "unit code"),
    "kind": ("nature", "kind"),
    "vat_category": ("catégorie de TVA", "VAT category"),
    "vat_rate": ("taux de TVA", "VAT rate"),
    "discount_pct": ("remise (%)", "discount (%)"),
    "exemption_code": ("code d'exonération", "exemption code"),
    "exemption_reason": ("motif d'exonération", "exemption reason"),
    "beneficiary": ("bénéficiaire", "beneficiary"),
    "amount": ("montant", "amount"),
    "reason": ("motif", "reason"),
    "is_charge": ("frais (case)", "charge (flag)"),
    "reason_code": ("code motif", "reason code"),
    "code": ("code", "code"),
    "iban": ("IBAN", "IBAN"),
    "bic": ("BIC", "BIC"),
    "mandate_reference": ("RUM", "mandate reference"),
    "creditor_id": ("ICS", "creditor id"),
    "debtor_iban": ("IBAN du débiteur", "debtor IBAN"),
    "card_last_digits": ("derniers chiffres de la carte", "card last digits"),
}
#: One element of a list field: "ligne 2", "remise/frais 1".
_ITEM_LABELS = {"lines": ("ligne", "line"), "adjustments": ("remise/frais", "allowance/charge"),
                "notes": ("mention", "note")}


def _location(loc: tuple[int | str, ...]) -> tuple[str, str]:
    """("lines", 0, "quantity") -> ("ligne 1, quantité", "line 1, quantity")."""
    parts_fr: list[str] = []
    parts_en: list[str] = []
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            item_fr, item_en = _ITEM_LABELS.get(str(previous), ("élément", "item"))
            if parts_fr and previous in _ITEM_LABELS:
                parts_fr.pop()
                parts_en.pop()
            parts_fr.append(f"{item_fr} {part + 1}")
            parts_en.append(f"{item_en} {part + 1}")
        else:
            fr, en = INVOICE_LABELS.get(str(part), (str(part), str(part)))
            parts_fr.append(fr)
            parts_en.append(en)
        previous = part
    return ", ".join(parts_fr) or "?", ", ".join(parts_en) or "?"


def parse_input(model: type[Model], data: Mapping[str, Any] | Model) -> Model:
    """Validate raw data into `model`; a shape error becomes one bilingual `ValidationError`
    naming the field (and the line) in words, with pydantic's complaint translated."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where_fr, where_en = _location(first["loc"])
        why_fr, why_en = pydantic_reason(first)
        raise ValidationError(
            f"Donnée de facture invalide « {where_fr} » : {why_fr}.",
            f"Invalid invoice data '{where_en}': {why_en}.",
        ) from None
