"""Serialise a `FacturXInvoice` as UN/CEFACT CII D16B XML, Factur-X EN 16931 profile.

Written with lxml directly rather than through `facturx.generate_cii_xml`'s loosely typed dict so
that every element maps to one model field (the BT number is next to each), and the element order
follows the Factur-X EN 16931 XSD. Amounts are written as given: a value with more than two
decimals is an upstream bug and raises instead of being rounded here.

French specifics (BR-FR schematron): the SIREN goes in `SpecifiedLegalOrganization/ID` with
schemeID 0002 (9 digits), the SIRET in `GlobalID` with schemeID 0009; the seller's and buyer's
electronic addresses (BT-34 / BT-49) are mandatory; BT-23 carries the billing mode (S1, B1, M1).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from documents.facturx.model import (
    DocumentAllowanceCharge,
    FacturXInvoice,
    InvoiceLine,
    LineAllowanceCharge,
    Party,
    PaymentMeans,
    PaymentMeansCode,
    PostalAddress,
    VatBreakdown,
)
from dossiers.errors import ValidationError

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"  # BT-24
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"

RSM = ElementMaker(namespace=NS["rsm"], nsmap=NS)
RAM = ElementMaker(namespace=NS["ram"])
UDT = ElementMaker(namespace=NS["udt"])
QDT = ElementMaker(namespace=NS["qdt"])

_CENT = Decimal("0.01")


def money(value: Decimal, field: str) -> str:
    """Two-decimal amount; refuses values that would need rounding (BR-DEC-*)."""
    if value != value.quantize(_CENT):
        raise ValidationError(
            f"Montant {field} avec plus de deux décimales : {value}",
            f"Amount {field} has more than two decimals: {value}",
        )
    return f"{value.quantize(_CENT):f}"


def decimal_text(value: Decimal, places: int) -> str:
    """Quantity/price text with at most `places` decimals, trailing zeros kept to two."""
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise ValidationError(
            f"Valeur avec plus de {places} décimales : {value}",
            f"Value has more than {places} decimals: {value}",
        )
    text = f"{value.quantize(quantum):f}"
    if "." in text:
        text = text.rstrip("0")
        whole, _, frac = text.partition(".")
        text = f"{whole}.{frac.ljust(2, '0')}"
    return text


def rate_text(rate: Decimal) -> str:
    return f"{rate.quantize(_CENT):f}"


def _date(tag: ElementMaker, value: date) -> etree._Element:
    return tag.DateTimeString(value.strftime("%Y%m%d"), format="102")


def _opt(builder, value: str | None):
    return [builder(value)] if value else []


def _address(address: PostalAddress) -> etree._Element:
    return RAM.PostalTradeAddress(
        *_opt(RAM.PostcodeCode, address.postcode),
        *_opt(RAM.LineOne, address.line1),
        *_opt(RAM.LineTwo, address.line2),
        *_opt(RAM.LineThree, address.line3),
        *_opt(RAM.CityName, address.city),
        RAM.CountryID(address.country),
        *_opt(RAM.CountrySubDivisionName, address.subdivision),
    )


def _party(tag: str, party: Party, *, seller: bool) -> etree._Element:
    children: list[etree._Element] = []
    if party.siret:
        children.append(RAM.GlobalID(party.siret, schemeID=SIRET_SCHEME))  # BT-29 / BT-46
    children.append(RAM.Name(party.name))  # BT-27 / BT-44
    if seller and party.legal_form:
        children.append(RAM.Description(party.legal_form))  # BT-33
    if party.siren or party.trading_name:
        legal = [RAM.ID(party.siren, schemeID=SIREN_SCHEME)] if party.siren else []
        legal += _opt(RAM.TradingBusinessName, party.trading_name)  # BT-28 / BT-45
        children.append(RAM.SpecifiedLegalOrganization(*legal))  # BT-30 / BT-47
    if party.contact_name or party.contact_email or party.contact_phone:
        contact = _opt(RAM.PersonName, party.contact_name)
        if party.contact_phone:
            contact.append(
                RAM.TelephoneUniversalCommunication(RAM.CompleteNumber(party.contact_phone))
            )
        if party.contact_email:
            contact.append(RAM.EmailURIUniversalCommunication(RAM.URIID(party.contact_email)))
        children.append(RAM.DefinedTradeContact(*contact))
    children.append(_address(party.address))
    endpoint = party.electronic_address or party.contact_email
    if endpoint:  # BT-34 / BT-49, mandatory in France (BR-FR-12 / BR-FR-13)
        children.append(RAM.URIUniversalCommunication(RAM.URIID(endpoint, schemeID="EM")))
    if party.vat_id:  # BT-31 / BT-48
        children.append(RAM.SpecifiedTaxRegistration(RAM.ID(party.vat_id, schemeID="VA")))
    return RAM(tag, *children)


def _tax(category: str, rate: Decimal) -> etree._Element:
    return RAM.ApplicableTradeTax(
        RAM.TypeCode("VAT"), RAM.CategoryCode(category), RAM.RateApplicablePercent(rate_text(rate))
    )


def _period(start: date | None, end: date | None) -> list[etree._Element]:
    if not (start or end):
        return []
    parts = []
    if start:
        parts.append(RAM.StartDateTime(_date(UDT, start)))
    if end:
        parts.append(RAM.EndDateTime(_date(UDT, end)))
    return [RAM.BillingSpecifiedPeriod(*parts)]


def _line_allowance_charge(item: LineAllowanceCharge) -> etree._Element:
    children = [RAM.ChargeIndicator(UDT.Indicator("true" if item.charge else "false"))]
    if item.percent is not None:
        children.append(RAM.CalculationPercent(rate_text(item.percent)))  # BT-138 / BT-143
    if item.base_amount is not None:
        children.append(RAM.BasisAmount(money(item.base_amount, "BT-137")))
    children.append(RAM.ActualAmount(money(item.amount, "BT-136")))
    children += [*_opt(RAM.ReasonCode, item.reason_code), *_opt(RAM.Reason, item.reason)]
    return RAM.SpecifiedTradeAllowanceCharge(*children)


def _line(line: InvoiceLine) -> etree._Element:
    doc = [RAM.LineID(line.line_id)]  # BT-126
    if line.note:
        doc.append(RAM.IncludedNote(RAM.Content(line.note)))  # BT-127
    product = [*_opt(RAM.SellerAssignedID, line.seller_item_id), RAM.Name(line.name)]
    product += _opt(RAM.Description, line.description)
    agreement = []
    if line.gross_price is not None:  # BT-148 / BT-147
        gross = [RAM.ChargeAmount(decimal_text(line.gross_price, 6))]
        if line.price_discount:
            gross.append(
                RAM.AppliedTradeAllowanceCharge(
                    RAM.ChargeIndicator(UDT.Indicator("false")),
                    RAM.ActualAmount(decimal_text(line.price_discount, 6)),
                )
            )
        agreement.append(RAM.GrossPriceProductTradePrice(*gross))
    agreement.append(
        RAM.NetPriceProductTradePrice(RAM.ChargeAmount(decimal_text(line.net_price, 6)))
    )  # BT-146
    return RAM.IncludedSupplyChainTradeLineItem(
        RAM.AssociatedDocumentLineDocument(*doc),
        RAM.SpecifiedTradeProduct(*product),
        RAM.SpecifiedLineTradeAgreement(*agreement),
        RAM.SpecifiedLineTradeDelivery(
            RAM.BilledQuantity(decimal_text(line.quantity, 4), unitCode=line.unit_code)
        ),  # BT-129 / BT-130
        RAM.SpecifiedLineTradeSettlement(
            _tax(line.vat_category.value, line.vat_rate),  # BT-151 / BT-152
            *_period(line.period_start, line.period_end),  # BT-134 / BT-135
            *[_line_allowance_charge(item) for item in line.allowances_charges],  # BG-27/28
            RAM.SpecifiedTradeSettlementLineMonetarySummation(
                RAM.LineTotalAmount(money(line.net_amount, "BT-131"))
            ),
        ),
    )


def _payment_means(means: PaymentMeans) -> etree._Element:
    children = [RAM.TypeCode(means.code.value), *_opt(RAM.Information, means.information)]
    if means.card_last_digits:  # BT-87
        children.append(RAM.ApplicableTradeSettlementFinancialCard(RAM.ID(means.card_last_digits)))
    if means.debited_iban:  # BT-91
        children.append(RAM.PayerPartyDebtorFinancialAccount(RAM.IBANID(means.debited_iban)))
    if means.iban and means.code != PaymentMeansCode.SEPA_DIRECT_DEBIT:  # BT-84 / BT-85
        account = [RAM.IBANID(means.iban), *_opt(RAM.AccountName, means.account_name)]
        children.append(RAM.PayeePartyCreditorFinancialAccount(*account))
    if means.bic and means.code != PaymentMeansCode.SEPA_DIRECT_DEBIT:  # BT-86
        children.append(RAM.PayeeSpecifiedCreditorFinancialInstitution(RAM.BICID(means.bic)))
    return RAM.SpecifiedTradeSettlementPaymentMeans(*children)


def _vat_row(row: VatBreakdown) -> etree._Element:
    return RAM.ApplicableTradeTax(
        RAM.CalculatedAmount(money(row.tax_amount, "BT-117")),
        RAM.TypeCode("VAT"),
        *_opt(RAM.ExemptionReason, row.exemption_reason),  # BT-120
        RAM.BasisAmount(money(row.taxable_amount, "BT-116")),
        RAM.CategoryCode(row.category.value),  # BT-118
        *_opt(RAM.ExemptionReasonCode, row.exemption_reason_code),  # BT-121
        RAM.RateApplicablePercent(rate_text(row.rate)),  # BT-119
    )


def _allowance_charge(item: DocumentAllowanceCharge) -> etree._Element:
    children = [RAM.ChargeIndicator(UDT.Indicator("true" if item.charge else "false"))]
    if item.percent is not None:
        children.append(RAM.CalculationPercent(rate_text(item.percent)))  # BT-94 / BT-101
    if item.base_amount is not None:
        children.append(RAM.BasisAmount(money(item.base_amount, "BT-93")))
    children.append(RAM.ActualAmount(money(item.amount, "BT-92")))
    children += [*_opt(RAM.ReasonCode, item.reason_code), RAM.Reason(item.reason)]
    children.append(
        RAM.CategoryTradeTax(
            RAM.TypeCode("VAT"),
            RAM.CategoryCode(item.vat_category.value),
            RAM.RateApplicablePercent(rate_text(item.vat_rate)),
        )
    )
    return RAM.SpecifiedTradeAllowanceCharge(*children)


def _header_agreement(invoice: FacturXInvoice) -> etree._Element:
    children = _opt(RAM.BuyerReference, invoice.buyer_reference)  # BT-10
    children.append(_party("SellerTradeParty", invoice.seller, seller=True))
    children.append(_party("BuyerTradeParty", invoice.buyer, seller=False))
    if invoice.purchase_order:  # BT-13
        children.append(
            RAM.BuyerOrderReferencedDocument(RAM.IssuerAssignedID(invoice.purchase_order))
        )
    if invoice.contract_reference:  # BT-12
        children.append(
            RAM.ContractReferencedDocument(RAM.IssuerAssignedID(invoice.contract_reference))
        )
    return RAM.ApplicableHeaderTradeAgreement(*children)


def _header_delivery(invoice: FacturXInvoice) -> etree._Element:
    children = []
    if invoice.deliver_to_name or invoice.deliver_to_address:  # BG-13 / BT-70 / BG-15
        ship_to = _opt(RAM.Name, invoice.deliver_to_name)
        if invoice.deliver_to_address:
            ship_to.append(_address(invoice.deliver_to_address))
        children.append(RAM.ShipToTradeParty(*ship_to))
    if invoice.supply_date:  # BT-72: the date the PDF prints as delivery / service date
        children.append(
            RAM.ActualDeliverySupplyChainEvent(
                RAM.OccurrenceDateTime(_date(UDT, invoice.supply_date))
            )
        )
    if not children:
        # CII D16B requires this element, PEPPOL-EN16931-R008 forbids it empty, and an invoicing
        # period (BG-14) dates the supply elsewhere. FNFE's answer (fnfempe/France_RFE#18) is
        # the buyer's country as deliver-to country (BT-80): delivered where the buyer is.
        children.append(RAM.ShipToTradeParty(
            RAM.PostalTradeAddress(RAM.CountryID(invoice.buyer.address.country))
        ))
    return RAM.ApplicableHeaderTradeDelivery(*children)


def _summation(invoice: FacturXInvoice) -> etree._Element:
    t = invoice.totals
    children = [
        RAM.LineTotalAmount(money(t.line_total, "BT-106")),
        RAM.ChargeTotalAmount(money(t.charge_total, "BT-108")),
        RAM.AllowanceTotalAmount(money(t.allowance_total, "BT-107")),
        RAM.TaxBasisTotalAmount(money(t.tax_basis_total, "BT-109")),
        RAM.TaxTotalAmount(money(t.tax_total, "BT-110"), currencyID=invoice.currency),
    ]
    if t.rounding is not None:
        children.append(RAM.RoundingAmount(money(t.rounding, "BT-114")))
    children += [
        RAM.GrandTotalAmount(money(t.grand_total, "BT-112")),
        RAM.TotalPrepaidAmount(money(t.prepaid, "BT-113")),
        RAM.DuePayableAmount(money(t.due_payable, "BT-115")),
    ]
    return RAM.SpecifiedTradeSettlementHeaderMonetarySummation(*children)


def _header_settlement(invoice: FacturXInvoice) -> etree._Element:
    debit = next(
        (m for m in invoice.payment_means if m.code == PaymentMeansCode.SEPA_DIRECT_DEBIT), None
    )
    children = []
    if debit and debit.creditor_id:  # BT-90
        children.append(RAM.CreditorReferenceID(debit.creditor_id))
    remittance = next((m.remittance_info for m in invoice.payment_means if m.remittance_info), None)
    children += _opt(RAM.PaymentReference, remittance)  # BT-83
    children.append(RAM.InvoiceCurrencyCode(invoice.currency))  # BT-5
    children += [_payment_means(m) for m in invoice.payment_means]
    children += [_vat_row(row) for row in invoice.vat_breakdown]
    children += _period(invoice.period_start, invoice.period_end)  # BT-73 / BT-74
    children += [_allowance_charge(a) for a in invoice.allowances_charges]
    terms = _opt(RAM.Description, invoice.payment_terms)  # BT-20
    if invoice.due_date:  # BT-9
        terms.append(RAM.DueDateDateTime(_date(UDT, invoice.due_date)))
    if debit and debit.mandate_reference:  # BT-89
        terms.append(RAM.DirectDebitMandateID(debit.mandate_reference))
    if terms:
        children.append(RAM.SpecifiedTradePaymentTerms(*terms))
    children.append(_summation(invoice))
    for preceding in invoice.preceding_invoices:  # BG-3: BT-25 / BT-26
        children.append(
            RAM.InvoiceReferencedDocument(
                RAM.IssuerAssignedID(preceding.number),
                RAM.FormattedIssueDateTime(_date(QDT, preceding.issue_date)),
            )
        )
    return RAM.ApplicableHeaderTradeSettlement(*children)


def _notes(invoice: FacturXInvoice) -> Iterable[etree._Element]:
    for note in invoice.notes:
        yield RAM.IncludedNote(RAM.Content(note.text), *_opt(RAM.SubjectCode, note.subject_code))


def build_cii(invoice: FacturXInvoice) -> etree._Element:
    """The CII document tree for `invoice` (not yet validated)."""
    return RSM.CrossIndustryInvoice(
        RSM.ExchangedDocumentContext(
            RAM.BusinessProcessSpecifiedDocumentContextParameter(
                RAM.ID(invoice.business_process)
            ),  # BT-23
            RAM.GuidelineSpecifiedDocumentContextParameter(RAM.ID(EN16931_GUIDELINE)),  # BT-24
        ),
        RSM.ExchangedDocument(
            RAM.ID(invoice.number),  # BT-1
            RAM.TypeCode(invoice.type_code),  # BT-3
            RAM.IssueDateTime(_date(UDT, invoice.issue_date)),  # BT-2
            *_notes(invoice),  # BG-1
        ),
        RSM.SupplyChainTradeTransaction(
            *[_line(line) for line in invoice.lines],
            _header_agreement(invoice),
            _header_delivery(invoice),
            _header_settlement(invoice),
        ),
    )


def cii_xml_bytes(invoice: FacturXInvoice) -> bytes:
    """UTF-8 XML bytes with declaration, as embedded in the PDF (`factur-x.xml`)."""
    return etree.tostring(
        build_cii(invoice), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
