"""What Chorus Pro routes a Factur-X invoice on, read from the XML embedded in the PDF.

Reading the embedded XML (rather than trusting the invoice record) checks what Chorus Pro will
actually see: the invoice number, the buyer's SIRET, the service code (BT-10 `BuyerReference`)
and the legal commitment (BT-13 `BuyerOrderReferencedDocument/IssuerAssignedID`).

Where the SIRET sits differs between sources: the Chorus Pro connectors put it in
`SpecifiedLegalOrganization/ID` with `schemeID="0002"`, while ISO 6523 (and the French BR-FR
rules) reserve 0002 for the 9-digit SIREN and 0009 for the SIRET, which Liasse's generator
writes as `GlobalID schemeID="0009"`. The first 14-digit identifier found among these is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from facturx import get_facturx_xml_from_pdf
from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_AGREEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
_AGREEMENT += "ram:ApplicableHeaderTradeAgreement/"


class NoFacturXData(ValueError):
    """The PDF carries no readable Factur-X XML."""


@dataclass(frozen=True)
class RoutingData:
    invoice_number: str
    buyer_siret: str | None
    service_code: str | None
    legal_commitment: str | None
    xml: bytes


def _text(root: etree._Element, path: str) -> str | None:
    found = root.xpath(path, namespaces=NS)
    if not found:
        return None
    value = (found[0].text or "").strip()
    return value or None


_BUYER = _AGREEMENT + "ram:BuyerTradeParty/"
_SIRET_PLACES = (
    _BUYER + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']",
    _BUYER + "ram:GlobalID[@schemeID='0009']",
    _BUYER + "ram:SpecifiedLegalOrganization/ram:ID",
)


def _buyer_siret(root: etree._Element) -> str | None:
    """The buyer's SIRET, or its legal identifier as written when no SIRET is found."""
    found = [_text(root, place) for place in _SIRET_PLACES]
    siret = next((v for v in found if v and len(v.replace(" ", "")) == 14), None)
    return siret or next((v for v in found if v), None)


def read_routing_xml(xml: bytes) -> RoutingData:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise NoFacturXData(f"unreadable XML: {exc}") from exc
    number = _text(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID")
    if not number:
        raise NoFacturXData("no invoice number (ExchangedDocument/ID)")
    return RoutingData(
        invoice_number=number,
        buyer_siret=_buyer_siret(root),
        service_code=_text(root, _AGREEMENT + "ram:BuyerReference"),
        legal_commitment=_text(
            root, _AGREEMENT + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
        ),
        xml=xml,
    )


@lru_cache(maxsize=64)
def extract_xml(pdf: bytes) -> bytes:
    """The embedded Factur-X XML, unchecked (checking is the caller's business).

    Cached: the routing read and the Factur-X check of one deposit parse the PDF once.
    """
    try:
        _name, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:  # pypdf raises many types on a damaged file
        raise NoFacturXData(f"unreadable PDF: {exc}") from exc
    if not xml:
        raise NoFacturXData("no factur-x.xml attachment in the PDF")
    return xml


def read_routing(pdf: bytes) -> RoutingData:
    return read_routing_xml(extract_xml(pdf))
