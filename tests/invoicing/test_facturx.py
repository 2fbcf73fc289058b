"""End to end: invoices issued by the domain produce Factur-X XML that passes XSD, EN 16931 and
BR-FR with zero failed asserts, for every VAT situation; a rejected one takes no number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from application.invoicing.facturx_mapping import to_facturx
from application.invoicing.issuing import Checked, credit_checked, issue_checked, reissue_checked
from documents.errors import FacturXRejected
from documents.facturx.cii import NS, cii_xml_bytes
from documents.profile import demo_profile
from dossiers.customers.models import CustomerType
from dossiers.db import transaction
from dossiers.invoicing.models import Invoice

pytestmark = pytest.mark.usefixtures("db")


def _line(price: str, cat: str = "S", rate: str = "20", **kw: Any) -> dict:
    return {"description": "Abonnement « Revue »", "quantity": "2", "unit_price": price,
            "vat_category": cat, "vat_rate": rate, **kw}


def _issue(db: sessionmaker[Session], **data: Any) -> Checked:
    with transaction(db) as s:
        return issue_checked(s, data, demo_profile(), actor="tester")


def _assert_clean(checked: Checked) -> None:
    assert checked.report.ok, checked.report.failures
    assert set(checked.report.checks_run) >= {"XSD", "EN16931", "BR-FR"}


@pytest.mark.parametrize("situation", [
    [_line("45.5", rate="2.1", kind="subscription"), _line("24.9", rate="5.5"),
     _line("12", rate="10"), _line("350", kind="service"), _line("15", cat="Z", rate="0")],
    [_line("600", cat="E", rate="0", exemption_reason="Exonération de TVA, art. 261-4-4° du CGI")],
])
def test_french_buyer_situations_pass_all_checks(db, make_customer, situation) -> None:
    c = make_customer(email="compta@client.example", discount_items_pct=Decimal("7.5"))
    checked = _issue(db, customer=c.number, lines=situation, adjustments=[
        {"amount": "5", "reason": "Remise fidélité", "reason_code": "95",
         "vat_category": situation[0]["vat_category"], "vat_rate": situation[0]["vat_rate"]},
        {"amount": "6", "reason": "Frais de port", "reason_code": "FC", "is_charge": True,
         "vat_category": situation[0]["vat_category"], "vat_rate": situation[0]["vat_rate"]}])
    _assert_clean(checked)


@pytest.mark.parametrize(("cat", "vat", "country"), [("AE", "BE0403019261", "BE"),
                                                     ("K", "DE136695976", "DE")])
def test_foreign_buyer_situations_pass_all_checks(db, make_customer, cat, vat, country) -> None:
    c = make_customer(email="ap@buyer.example", vat_number=vat, country=country, siret=None,
                      invoice_language="en")
    checked = _issue(db, customer=c.number, lines=[_line("1200", cat=cat, rate="0")])
    _assert_clean(checked)
    with transaction(db) as s:  # the credit note carries the same VAT situation
        _assert_clean(credit_checked(s, {"invoice": checked.invoice.number, "amount": "100",
                                         "reason": "Remise"}))


def test_third_party_public_buyer_direct_debit_and_credit_notes(db, make_customer) -> None:
    payer = make_customer(type=CustomerType.THIRD_PARTY_PAYER, email="f@payer.example",
                          is_public_buyer=True, service_code="SERV-BIBLIO",
                          payment_method="prelevement", mandate_reference="RUM-0001",
                          iban="FR7630004000031234567890143")
    ben = make_customer(type=CustomerType.BENEFICIARY, payer_id=payer.id)
    checked = _issue(db, customer=payer.number, po_number="EJ-2026-0042",
                     lines=[_line("89", rate="2.1", beneficiary=ben.number, kind="subscription")])
    _assert_clean(checked)
    assert checked.invoice.payment_means_code == "59"
    with transaction(db) as s:
        _assert_clean(credit_checked(s, {"invoice": checked.invoice.number, "amount": "10",
                                         "reason": "Geste commercial"}))
    with transaction(db) as s:
        note, new = reissue_checked(
            s, {"invoice": checked.invoice.number, "reason": "Erreur de quantité",
                "lines": [{"position": 1, "quantity": "1"}]},
            {"customer": payer.number, "lines": [_line("89", rate="2.1")]}, demo_profile())
    _assert_clean(note)
    _assert_clean(new)


def test_rejected_invoice_takes_no_number(db, make_customer) -> None:
    c = make_customer(email=None)  # BR-FR-12: the buyer's electronic address is mandatory
    with pytest.raises(FacturXRejected, match="BR-FR"):
        _issue(db, customer=c.number, lines=[_line("10")])
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Invoice)) == 0


R008 = "PEPPOL-EN16931-R008"  # "Document MUST not contain empty elements" (a warning)


def _xml(checked: Checked) -> etree._Element:
    return etree.fromstring(cii_xml_bytes(to_facturx(checked.invoice)))


def test_export_outside_the_eu_passes_all_checks(db, make_customer) -> None:
    # A Swiss bookshop: no EU VAT number, no SIRET; only the seller's VAT number is needed.
    c = make_customer(email="compta@librairie.example.ch", vat_number=None, siret=None,
                      country="CH", postcode="1003", city="LAUSANNE")
    checked = _issue(db, customer=c.number, lines=[_line("140", cat="G", rate="0")])
    _assert_clean(checked)
    assert R008 not in {w.rule_id for w in checked.report.warnings}
    row = checked.invoice.vat_breakdown[0]
    assert (row["category"], row["tax_amount"], row["exemption_code"], row["exemption_reason"]
            ) == ("G", "0.00", "VATEX-EU-G", "Exonération de TVA, article 262 I du CGI")
    tax = _xml(checked).find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert tax.findtext("ram:CategoryCode", namespaces=NS) == "G"
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-G"
    with transaction(db) as s:  # the credit note carries the same VAT situation
        _assert_clean(credit_checked(s, {"invoice": checked.invoice.number, "amount": "100",
                                         "reason": "Remise"}))


def test_typical_invoice_sends_its_supply_date_and_no_empty_element(db, make_customer) -> None:
    c = make_customer(email="compta@client.example")
    delivery = "//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent" \
        "/ram:OccurrenceDateTime/udt:DateTimeString/text()"
    undated = _issue(db, customer=c.number, lines=[_line("10")], issue_date="2026-03-02")
    assert R008 not in {w.rule_id for w in undated.report.warnings}, undated.report.warnings
    assert _xml(undated).xpath(delivery, namespaces=NS) == ["20260302"]  # as the PDF prints
    dated = _issue(db, customer=c.number, lines=[_line("10")], delivery_date="2026-02-20")
    _assert_clean(dated)
    assert _xml(dated).xpath(delivery, namespaces=NS) == ["20260220"]


def test_customer_without_email_is_told_why(db, make_customer) -> None:
    c = make_customer(email=None)
    with pytest.raises(FacturXRejected) as caught:
        _issue(db, customer=c.number, lines=[_line("10")])
    assert ("le client n'a pas d'adresse e-mail, obligatoire sur une facture électronique"
            in caught.value.fr)
    assert "the customer has no e-mail address, required on an electronic invoice" \
        in caught.value.en
