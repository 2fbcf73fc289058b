"""Small Factur-X invoices for the fake, the tests and the benchmark.

A minimal EN 16931 CII XML (one line, 20 % VAT) embedded in a one-page PDF with the `factur-x`
library, with the fields Chorus Pro routes on: buyer SIRET (`schemeID="0002"`), service code
(BT-10) and legal commitment (BT-13). `broken=True` produces an XML that breaks the XSD (the
fake must reject it with `ERR_XSD_001`).
"""

from __future__ import annotations

import io
from functools import lru_cache
from xml.sax.saxutils import escape

from facturx import generate_from_binary
from pypdf import PdfWriter

SELLER_SIRET = "73282932000074"

_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext>
<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>
</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode>
<ram:IssueDateTime><udt:DateTimeString format="102">20260105</udt:DateTimeString>
</ram:IssueDateTime>{broken}</rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:IncludedSupplyChainTradeLineItem>
<ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
<ram:SpecifiedTradeProduct><ram:Name>Abonnement revue</ram:Name></ram:SpecifiedTradeProduct>
<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>
<ram:ChargeAmount>100.00</ram:ChargeAmount></ram:NetPriceProductTradePrice>
</ram:SpecifiedLineTradeAgreement>
<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
</ram:SpecifiedLineTradeDelivery>
<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>
<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent>
</ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation>
<ram:LineTotalAmount>100.00</ram:LineTotalAmount>
</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>
</ram:IncludedSupplyChainTradeLineItem>
<ram:ApplicableHeaderTradeAgreement>{buyer_reference}
<ram:SellerTradeParty><ram:Name>Liasse Abonnements SA</ram:Name>
<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{seller_siret}</ram:ID>
</ram:SpecifiedLegalOrganization>
<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR40303265045</ram:ID>
</ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>Acheteur public</ram:Name>
<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{buyer_siret}</ram:ID>
</ram:SpecifiedLegalOrganization>
<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
</ram:BuyerTradeParty>{order_reference}
</ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery/>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>
<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID>
</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
<ram:ApplicableTradeTax><ram:CalculatedAmount>20.00</ram:CalculatedAmount>
<ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount>
<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent>
</ram:ApplicableTradeTax>
<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
<udt:DateTimeString format="102">20260204</udt:DateTimeString></ram:DueDateDateTime>
</ram:SpecifiedTradePaymentTerms>
<ram:SpecifiedTradeSettlementHeaderMonetarySummation>
<ram:LineTotalAmount>100.00</ram:LineTotalAmount>
<ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
<ram:TaxTotalAmount currencyID="EUR">20.00</ram:TaxTotalAmount>
<ram:GrandTotalAmount>120.00</ram:GrandTotalAmount>
<ram:DuePayableAmount>120.00</ram:DuePayableAmount>
</ram:SpecifiedTradeSettlementHeaderMonetarySummation>
</ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def sample_cii(
    number: str,
    *,
    buyer_siret: str,
    service_code: str | None = None,
    legal_commitment: str | None = None,
    broken: bool = False,
) -> bytes:
    buyer_reference = (
        f"<ram:BuyerReference>{escape(service_code)}</ram:BuyerReference>" if service_code else ""
    )
    order_reference = (
        "<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>"
        f"{escape(legal_commitment)}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>"
        if legal_commitment
        else ""
    )
    return _CII.format(
        number=escape(number),
        buyer_siret=escape(buyer_siret),
        seller_siret=SELLER_SIRET,
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        # An element the schema does not allow at that place: an XSD error, as Chorus reports.
        broken="<ram:Unexpected>x</ram:Unexpected>" if broken else "",
    ).encode("utf-8")


@lru_cache(maxsize=1)
def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_facturx(
    number: str,
    *,
    buyer_siret: str,
    service_code: str | None = None,
    legal_commitment: str | None = None,
    broken: bool = False,
) -> bytes:
    """A Factur-X PDF (EN 16931 profile) for invoice `number`."""
    xml = sample_cii(
        number,
        buyer_siret=buyer_siret,
        service_code=service_code,
        legal_commitment=legal_commitment,
        broken=broken,
    )
    return generate_from_binary(
        _blank_pdf(),
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=not broken,
        pdf_metadata={
            "author": "Liasse",
            "keywords": "Factur-X",
            "title": number,
            "subject": number,
        },
    )
