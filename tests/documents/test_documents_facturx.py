"""Factur-X: every VAT situation renders, embeds and passes XSD + EN 16931 + BR-FR."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from documents.errors import FacturXRejected
from documents.facturx.check import check_facturx
from documents.facturx.cii import NS, cii_xml_bytes
from documents.facturx.issue import FacturXDocument, build_facturx
from documents.facturx.mentions import with_legal_notes
from documents.facturx.samples import SAMPLES, sample_invoice
from documents.facturx.validation import validate_cii
from dossiers.errors import ValidationError


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_passes_every_check(built: dict[str, FacturXDocument], kind: str) -> None:
    report = check_facturx(built[kind].pdf)
    assert report.checks_run == ["PDF", "XSD", "EN16931", "BR-FR"]
    assert report.failures == [], [str(f) for f in report.failures]
    assert report.xml_filename == "factur-x.xml"


def test_each_vat_situation_is_covered(built: dict[str, FacturXDocument]) -> None:
    seen = {
        (cat, rate)
        for doc in built.values()
        for cat, rate in zip(
            xpath(doc.xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
                           "/ram:CategoryCode/text()"),
            xpath(doc.xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
                           "/ram:RateApplicablePercent/text()"),
            strict=True,
        )
    }
    assert {("S", "20.00"), ("S", "10.00"), ("S", "5.50"), ("S", "2.10"), ("Z", "0.00"),
            ("E", "0.00"), ("AE", "0.00"), ("K", "0.00"), ("G", "0.00")} <= seen


def test_exemptions_carry_reason_and_wording(built: dict[str, FacturXDocument]) -> None:
    exempt = built["exempt"]
    assert xpath(exempt.xml, "//ram:ExemptionReason/text()") == [
        "Exonération de TVA, article 261-4-4° a du CGI"
    ]
    assert "Exonération de TVA, article 261-4-4° a du CGI" in pdf_text(exempt.pdf)
    reverse = built["reverse_charge"]
    assert xpath(reverse.xml, "//ram:ExemptionReasonCode/text()") == ["VATEX-EU-AE"]
    assert "Autoliquidation" in pdf_text(reverse.pdf)
    intra = built["intra_eu"]
    assert xpath(intra.xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") \
        == ["DE136695976"]
    assert xpath(intra.xml, "//ram:ShipToTradeParty//ram:CountryID/text()") == ["DE"]
    assert "Exonération de TVA, article 262 ter I du CGI" in pdf_text(intra.pdf)


def test_french_identifiers_and_endpoints(built: dict[str, FacturXDocument]) -> None:
    xml = built["vat_rates"].xml
    seller = "//ram:SellerTradeParty"
    assert xpath(xml, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()") \
        == ["401234562"]
    assert xpath(xml, f"{seller}/ram:GlobalID[@schemeID='0009']/text()") == ["40123456200015"]
    assert xpath(xml, f"{seller}/ram:URIUniversalCommunication/ram:URIID/@schemeID") == ["EM"]
    assert sorted(xpath(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()")) \
        == ["AAB", "PMD", "PMT"]


def test_public_buyer_has_service_code_and_legal_commitment(
    built: dict[str, FacturXDocument],
) -> None:
    xml = built["public"].xml
    assert xpath(xml, "//ram:BuyerReference/text()") == ["SERV-BIBLIO-01"]
    assert xpath(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == [
        "EJ-2026-0042-7781"
    ]
    assert xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["58"]
    assert "SERV-BIBLIO-01" in pdf_text(built["public"].pdf)


def test_credit_note_references_the_invoice_with_positive_amounts(
    built: dict[str, FacturXDocument],
) -> None:
    xml = built["credit_note"].xml
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        "FA-2026-000101"
    ]
    assert all(Decimal(v) > 0 for v in xpath(xml, "//ram:GrandTotalAmount/text()"))
    text = pdf_text(built["credit_note"].pdf)
    assert "Avoir n° AV-2026-000011" in text
    assert "Cet avoir annule la facture n° FA-2026-000101" in text


def test_third_party_payer_names_beneficiaries(built: dict[str, FacturXDocument]) -> None:
    doc = built["third_party"]
    assert xpath(doc.xml, "//ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content"
                          "/text()") == [
        "Bénéficiaire : M. Jean Dupont",
        "Bénéficiaire : Mme Claire Martin",
        "Bénéficiaire : Médiathèque de Vienne",
    ]
    assert "Bénéficiaire : Mme Claire Martin" in pdf_text(doc.pdf)


def test_discount_and_charge_totals(built: dict[str, FacturXDocument]) -> None:
    xml = built["discount"].xml
    assert xpath(xml, "//ram:AllowanceTotalAmount/text()") == ["16.96"]
    line_allowance = "//ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge"
    assert xpath(xml, f"{line_allowance}/ram:ActualAmount/text()") == ["10.00"]
    assert xpath(xml, f"{line_allowance}/ram:CalculationPercent/text()") == ["10.00"]
    assert "Remise client 10 % : -10,00 €" in pdf_text(built["discount"].pdf)
    assert xpath(xml, "//ram:ChargeTotalAmount/text()") == ["6.00"]
    assert xpath(xml, "//ram:GrossPriceProductTradePrice/ram:ChargeAmount/text()") == ["50.00"]


def test_direct_debit_carries_mandate_and_creditor_id(built: dict[str, FacturXDocument]) -> None:
    xml = built["direct_debit"].xml
    assert xpath(xml, "//ram:DirectDebitMandateID/text()") == ["RUM-000123"]
    assert xpath(xml, "//ram:CreditorReferenceID/text()") == ["FR12ZZZ123456"]
    assert xpath(xml, "//ram:PayerPartyDebtorFinancialAccount/ram:IBANID/text()") == [
        "FR7630004000031234567890143"
    ]


def test_card_payment(built: dict[str, FacturXDocument]) -> None:
    xml = built["card"].xml
    means = "//ram:SpecifiedTradeSettlementPaymentMeans"
    assert xpath(xml, f"{means}/ram:TypeCode/text()") == ["48"]
    assert xpath(xml, f"{means}/ram:ApplicableTradeSettlementFinancialCard/ram:ID/text()") == [
        "4242"
    ]


def test_mandatory_french_mentions_are_printed(built: dict[str, FacturXDocument]) -> None:
    text = pdf_text(built["vat_rates"].pdf)
    for mention in (
        "Facture n° FA-2026-000101", "SIREN 401234562", "TVA FR46401234562",
        "SIREN 732829320", "TVA FR44732829320", "Date d'émission 02/03/2026",
        "Date d'échéance 01/04/2026", "Récapitulatif TVA", "Total TTC",
        "Indemnité forfaitaire pour frais de recouvrement de 40 €",
        "Pénalités de retard : trois fois le taux d'intérêt légal",
        "Pas d'escompte pour paiement anticipé", "IBAN FR7630006000011234567890189",
        "SAS au capital de 50 000 € – RCS Lyon 401234562",
    ):
        assert mention in text, mention


def test_english_invoice_uses_english_strings(profile) -> None:
    invoice = replace(sample_invoice("intra_eu"), language="en")
    text = pdf_text(build_facturx(invoice, profile).pdf)
    assert "Invoice no. FA-2026-000105" in text
    assert "Amount due" in text
    assert "Fixed recovery indemnity of €40" in text
    assert "Facture" not in text


def test_wrong_invoice_is_rejected_with_rule_ids(profile) -> None:
    invoice = sample_invoice("vat_rates")
    wrong = replace(
        invoice,
        totals=replace(invoice.totals, grand_total=invoice.totals.grand_total + Decimal("1.00")),
        seller=replace(invoice.seller, vat_id=None),
    )
    with pytest.raises(FacturXRejected) as caught:
        build_facturx(wrong, profile)
    ids = caught.value.report.failed_rule_ids
    assert "BR-CO-15" in ids  # grand total = total without VAT + VAT
    assert "BR-S-02" in ids  # standard-rated invoice without seller VAT identifier
    assert "BR-CO-15" in caught.value.fr and "BR-S-02" in caught.value.en


def test_french_rules_reject_missing_siren_and_unreferenced_credit_note(profile) -> None:
    invoice = with_legal_notes(sample_invoice("vat_rates"), profile)
    no_siren = replace(invoice, seller=replace(invoice.seller, siren=None))
    assert "BR-FR-10_BT-30" in validate_cii(cii_xml_bytes(no_siren)).failed_rule_ids
    credit = with_legal_notes(replace(sample_invoice("credit_note"), preceding_invoices=()),
                              profile)
    assert validate_cii(cii_xml_bytes(credit)).failed_rule_ids == ["BR-FR-CO-05_BT-3"]
    no_notes = sample_invoice("public")
    assert set(validate_cii(cii_xml_bytes(no_notes)).failed_rule_ids) == {
        "BR-FR-05_BT-22_AAB", "BR-FR-05_BT-22_PMD", "BR-FR-05_BT-22_PMT"
    }


def test_amount_with_three_decimals_is_refused_not_rounded() -> None:
    invoice = sample_invoice("exempt")
    line = replace(invoice.lines[0], net_amount=Decimal("600.005"))
    with pytest.raises(ValidationError, match="BT-131"):
        cii_xml_bytes(replace(invoice, lines=(line,)))


def test_xsd_failure_is_reported() -> None:
    xml = cii_xml_bytes(with_legal_notes(sample_invoice("exempt"), _profile()))
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Bogus>380</ram:Bogus>")
    report = validate_cii(broken)
    assert not report.ok
    assert report.failures[0].check == "XSD"


def test_other_profile_is_reported_as_such() -> None:
    xml = cii_xml_bytes(with_legal_notes(sample_invoice("exempt"), _profile()))
    basic = xml.replace(b"urn:cen.eu:en16931:2017", b"urn:factur-x.eu:1p0:basic")
    report = validate_cii(basic)
    assert "BT-24" in report.failed_rule_ids


def _profile():
    from documents.profile import demo_profile

    return demo_profile()


R008 = "PEPPOL-EN16931-R008"  # "Document MUST not contain empty elements" (a warning)


def test_export_outside_the_eu_is_exempt_with_its_reason(built: dict[str, FacturXDocument]
                                                          ) -> None:
    export = built["export"]
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert xpath(export.xml, f"{tax}/ram:CategoryCode/text()") == ["G"]
    assert xpath(export.xml, f"{tax}/ram:CalculatedAmount/text()") == ["0.00"]
    assert xpath(export.xml, f"{tax}/ram:ExemptionReasonCode/text()") == ["VATEX-EU-G"]
    assert xpath(export.xml, f"{tax}/ram:ExemptionReason/text()") == [
        "Exonération de TVA, article 262 I du CGI"]
    # BR-G-02: the seller's VAT number; the Swiss buyer has none and needs none.
    assert xpath(export.xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()"
                 ) == ["FR46401234562"]
    assert xpath(export.xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration") == []
    text = pdf_text(export.pdf)
    assert "Exonération de TVA, article 262 I du CGI" in text
    assert "140,00 € Export 420,00 €" in text  # the line's VAT column names the category


@pytest.mark.parametrize(("delivery", "printed"), [(date(2026, 2, 20), "20/02/2026"),
                                                   (None, "02/03/2026")])
def test_bt72_is_the_delivery_date_the_pdf_prints(profile, delivery, printed) -> None:
    # Without a delivery date (nor invoicing period) the PDF prints the issue date as the
    # delivery / service date: the XML must say the same, not nothing.
    invoice = replace(sample_invoice("vat_rates"), delivery_date=delivery)
    document = build_facturx(invoice, profile)
    assert xpath(document.xml, "//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChain"
                               "Event/ram:OccurrenceDateTime/udt:DateTimeString[@format='102']"
                               "/text()") == ["".join(reversed(printed.split("/")))]
    assert f"Date de livraison / prestation {printed}" in pdf_text(document.pdf)


def test_no_empty_delivery_element_warning(built: dict[str, FacturXDocument], profile) -> None:
    invoice = with_legal_notes(sample_invoice("vat_rates"), profile)
    undated = replace(invoice, delivery_date=None)
    by_period = replace(undated, period_start=date(2026, 2, 1), period_end=date(2026, 2, 28))
    for case in (undated, by_period):
        report = validate_cii(cii_xml_bytes(case))
        assert report.ok, report.failures
        assert R008 not in {w.rule_id for w in report.warnings}, report.warnings
    # Dated by its invoicing period only: the buyer's country stands for the deliver-to
    # address (BT-80), the one child the schematrons accept there with nothing else to say.
    assert xpath(cii_xml_bytes(by_period), "//ram:ApplicableHeaderTradeDelivery/*//text()"
                 "[normalize-space()]") == ["FR"]
    for kind, document in built.items():
        assert R008 not in {w.rule_id for w in document.report.warnings}, kind


def test_buyer_without_email_is_refused_in_plain_words(profile) -> None:
    invoice = sample_invoice("vat_rates")
    no_email = replace(invoice, buyer=replace(invoice.buyer, electronic_address=None,
                                              contact_email=None))
    with pytest.raises(FacturXRejected) as caught:
        build_facturx(no_email, profile)
    assert "BR-FR-12_BT-49" in caught.value.report.failed_rule_ids
    assert ("le client n'a pas d'adresse e-mail, obligatoire sur une facture électronique"
            in caught.value.fr)
    assert "the customer has no e-mail address, required on an electronic invoice" \
        in caught.value.en
