"""Input of the Factur-X generator and of the invoice/credit-note templates.

Plain frozen dataclasses, independent of the database: the invoicing domain (`dossiers/invoicing`)
adapts its issued invoice to `FacturXInvoice`, and this package only renders and serialises it. The
amounts are already computed (Decimal, two decimals) by the domain; nothing here recomputes them,
so a wrong total is caught by the EN 16931 schematron rather than silently "fixed".

Field comments name the EN 16931 business terms (BT-n / BG-n) they carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class VatCategory(StrEnum):
    """UNTDID 5305 VAT category codes allowed in France (BT-95 / BT-102 / BT-118 / BT-151)."""

    STANDARD = "S"  # standard and reduced rates (20, 10, 5.5, 2.1 %)
    ZERO = "Z"  # zero-rated goods
    EXEMPT = "E"  # exempt (art. 261 ..., art. 293 B franchise) — needs an exemption reason
    REVERSE_CHARGE = "AE"  # autoliquidation — buyer pays the VAT
    INTRA_EU = "K"  # intra-community supply, buyer VAT number from another member state
    EXPORT = "G"  # export outside the EU
    OUT_OF_SCOPE = "O"  # services outside the scope of VAT


class PaymentMeansCode(StrEnum):
    """UNTDID 4461 payment means (BT-81)."""

    CREDIT_TRANSFER = "30"
    DEBIT_TRANSFER = "31"
    PAYMENT_TO_BANK_ACCOUNT = "42"
    SEPA_CREDIT_TRANSFER = "58"
    SEPA_DIRECT_DEBIT = "59"
    BANK_CARD = "48"
    CREDIT_CARD = "54"
    DEBIT_CARD = "55"


@dataclass(frozen=True)
class PostalAddress:
    """BG-5 / BG-8 / BG-15 postal address."""

    line1: str  # BT-35 / BT-50 / BT-75 address line 1 (street)
    postcode: str  # BT-38 / BT-53 / BT-78
    city: str  # BT-37 / BT-52 / BT-77
    country: str = "FR"  # BT-40 / BT-55 / BT-80 ISO 3166-1 alpha-2
    line2: str | None = None  # BT-36 / BT-51 / BT-76 (BP, lieu-dit, building)
    line3: str | None = None  # BT-162 / BT-163 / BT-165
    subdivision: str | None = None  # BT-39 / BT-54 / BT-79


@dataclass(frozen=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str  # BT-27 / BT-44 legal name
    address: PostalAddress  # BG-5 / BG-8
    siren: str | None = None  # BT-30 / BT-47 legal registration id, schemeID 0002 (9 digits)
    siret: str | None = None  # BT-29 / BT-46 party identifier, schemeID 0009 (14 digits)
    vat_id: str | None = None  # BT-31 / BT-48 VAT identifier (FR..., DE..., ...)
    trading_name: str | None = None  # BT-28 / BT-45
    legal_form: str | None = None  # BT-33 seller additional legal information (capital, RCS)
    electronic_address: str | None = None  # BT-34 / BT-49 endpoint (e-mail, scheme EM)
    contact_name: str | None = None  # BT-41 / BT-56
    contact_email: str | None = None  # BT-43 / BT-58
    contact_phone: str | None = None  # BT-42 / BT-57


@dataclass(frozen=True)
class Note:
    """BG-1 invoice note: free text with an UNTDID 4451 subject code (BT-21)."""

    text: str  # BT-22
    subject_code: str | None = None  # BT-21: PMT (recovery indemnity), PMD (penalties), AAB...


@dataclass(frozen=True)
class LineAllowanceCharge:
    """BG-27 line allowance (charge=False) or BG-28 line charge (charge=True).

    Already reflected in the line net amount (BT-131): net = qty × net price − allowances + charges.
    """

    amount: Decimal  # BT-136 / BT-141 (positive)
    reason: str | None = None  # BT-139 / BT-144
    reason_code: str | None = None  # BT-140 (UNTDID 5189) / BT-145 (UNTDID 7161)
    charge: bool = False
    base_amount: Decimal | None = None  # BT-137 / BT-142
    percent: Decimal | None = None  # BT-138 / BT-143


@dataclass(frozen=True)
class InvoiceLine:
    """BG-25 invoice line. Amounts exclude VAT."""

    line_id: str  # BT-126
    name: str  # BT-153 item name
    quantity: Decimal  # BT-129 invoiced quantity
    unit_code: str  # BT-130 UN/ECE rec 20 (C62 = unit, H87 = piece, ANN = year, MON = month)
    net_price: Decimal  # BT-146 item net price (after line-level price discount)
    net_amount: Decimal  # BT-131 line net amount = quantity × net price − allowances + charges
    vat_category: VatCategory  # BT-151
    vat_rate: Decimal  # BT-152 percent (0 for E, AE, K, G, O, Z)
    description: str | None = None  # BT-154
    note: str | None = None  # BT-127 line note — names the beneficiary for third-party payers
    seller_item_id: str | None = None  # BT-155
    gross_price: Decimal | None = None  # BT-148 price before the price discount
    price_discount: Decimal | None = None  # BT-147 (gross − net, per unit)
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    allowances_charges: tuple[LineAllowanceCharge, ...] = ()  # BG-27 / BG-28
    beneficiary_name: str | None = None  # printed on the PDF for third-party payer invoices


@dataclass(frozen=True)
class DocumentAllowanceCharge:
    """BG-20 document allowance (charge=False) or BG-21 document charge (charge=True)."""

    amount: Decimal  # BT-92 / BT-99 (positive)
    vat_category: VatCategory  # BT-95 / BT-102
    vat_rate: Decimal  # BT-96 / BT-103
    reason: str  # BT-97 / BT-104
    charge: bool = False  # ChargeIndicator
    reason_code: str | None = None  # BT-98 (UNTDID 5189) / BT-105 (UNTDID 7161)
    base_amount: Decimal | None = None  # BT-93 / BT-100
    percent: Decimal | None = None  # BT-94 / BT-101


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23 VAT breakdown row, one per (category, rate)."""

    category: VatCategory  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str | None = None  # BT-120 (mandatory for E, AE, K, G, O)
    exemption_reason_code: str | None = None  # BT-121 VATEX code (VATEX-EU-AE, VATEX-EU-IC...)


@dataclass(frozen=True)
class Totals:
    """BG-22 document totals."""

    line_total: Decimal  # BT-106 sum of line net amounts
    tax_basis_total: Decimal  # BT-109 total without VAT
    tax_total: Decimal  # BT-110 total VAT amount (in invoice currency)
    grand_total: Decimal  # BT-112 total with VAT
    due_payable: Decimal  # BT-115 amount due for payment
    allowance_total: Decimal = Decimal("0.00")  # BT-107 sum of document allowances
    charge_total: Decimal = Decimal("0.00")  # BT-108 sum of document charges
    prepaid: Decimal = Decimal("0.00")  # BT-113 paid amount
    rounding: Decimal | None = None  # BT-114 rounding amount


@dataclass(frozen=True)
class PaymentMeans:
    """BG-16 payment instructions."""

    code: PaymentMeansCode  # BT-81
    iban: str | None = None  # BT-84 payee account (transfer) — required for 30/58
    bic: str | None = None  # BT-86 payment service provider
    account_name: str | None = None  # BT-85
    remittance_info: str | None = None  # BT-83 (usually the invoice number)
    mandate_reference: str | None = None  # BT-89 (direct debit)
    creditor_id: str | None = None  # BT-90 SEPA creditor identifier (direct debit)
    debited_iban: str | None = None  # BT-91 debited account (direct debit)
    card_last_digits: str | None = None  # BT-87 (card, last 4-6 digits only)
    information: str | None = None  # BT-82 payment means text


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3 preceding invoice reference (credit notes)."""

    number: str  # BT-25
    issue_date: date  # BT-26


@dataclass(frozen=True)
class FacturXInvoice:
    """One invoice (380) or credit note (381) ready to render and serialise."""

    number: str  # BT-1
    type_code: str  # BT-3: 380 invoice, 381 credit note
    issue_date: date  # BT-2
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: tuple[InvoiceLine, ...]  # BG-25
    vat_breakdown: tuple[VatBreakdown, ...]  # BG-23
    totals: Totals  # BG-22
    currency: str = "EUR"  # BT-5
    due_date: date | None = None  # BT-9
    delivery_date: date | None = None  # BT-72 actual delivery / service date
    period_start: date | None = None  # BT-73 invoicing period start
    period_end: date | None = None  # BT-74 invoicing period end
    buyer_reference: str | None = None  # BT-10 (public buyers: Chorus Pro service code)
    purchase_order: str | None = None  # BT-13 (public buyers: legal commitment / EJ, ≤ 50)
    contract_reference: str | None = None  # BT-12
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()  # BG-3 (BT-25/BT-26)
    notes: tuple[Note, ...] = ()  # BG-1 (legal mentions are added by `legal_notes`)
    allowances_charges: tuple[DocumentAllowanceCharge, ...] = ()  # BG-20 / BG-21
    payment_means: tuple[PaymentMeans, ...] = ()  # BG-16
    payment_terms: str | None = None  # BT-20
    business_process: str = "S1"  # BT-23 French billing mode (B1 goods, S1 services, M1 mixed)
    language: str = "fr"  # language of the printed PDF (not in the XML)
    deliver_to_name: str | None = None  # BT-70 (beneficiary delivered when not the buyer)
    deliver_to_address: PostalAddress | None = None  # BG-15 (BT-80 required for category K)
    extra: dict[str, str] = field(default_factory=dict)  # free values for templates only

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == "381"

    @property
    def supply_date(self) -> date | None:
        """The delivery / service date the PDF prints and the XML sends as BT-72.

        The given delivery date; without one, the issue date unless an invoicing period
        (BT-73/BT-74) dates the supply. The CGI (art. 242 nonies A, 9°) asks for the supply date
        only when it differs from the issue date, so an undated supply took place on the issue
        date; one property for both the page and the XML keeps them from disagreeing.
        """
        if self.delivery_date:
            return self.delivery_date
        if self.period_start or self.period_end:
            return None
        return self.issue_date
