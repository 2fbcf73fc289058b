"""Sample invoices covering each French VAT situation, for tests, benchmarks and previews.

`sample_invoice(kind)` builds a complete `FacturXInvoice`. Totals are computed here with a
deliberately simple Decimal routine (round each VAT row half-up to the cent); the real computation
lives in the invoicing domain, these samples only need to be coherent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from documents.facturx.mentions import INTRA_EU_SERVICES, exemption_for
from documents.facturx.model import (
    DocumentAllowanceCharge,
    FacturXInvoice,
    InvoiceLine,
    LineAllowanceCharge,
    Party,
    PaymentMeans,
    PaymentMeansCode,
    PostalAddress,
    PrecedingInvoice,
    Totals,
    VatBreakdown,
    VatCategory,
)
from documents.profile import CompanyProfile, demo_profile

CENT = Decimal("0.01")
ISSUE = date(2026, 3, 2)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def seller_party(profile: CompanyProfile) -> Party:
    return Party(
        name=profile.name,
        address=PostalAddress(
            line1=profile.address.street,
            line2=profile.address.extra,
            postcode=profile.address.postcode,
            city=profile.address.city,
            country=profile.address.country,
        ),
        siren=profile.siren,
        siret=profile.siret,
        vat_id=profile.vat_number,
        legal_form=profile.legal_mention,
        electronic_address=profile.email,
        contact_email=profile.email,
        contact_phone=profile.phone,
    )


FRENCH_BUYER = Party(
    name="Librairie du Parc SARL",
    address=PostalAddress("8 avenue Jean Jaurès", "75019", "Paris"),
    siren="732829320",
    siret="73282932000017",
    vat_id="FR44732829320",
    electronic_address="compta@librairie-du-parc.example",
    contact_email="compta@librairie-du-parc.example",
)
GERMAN_BUYER = Party(
    name="Buchhandlung Müller GmbH",
    address=PostalAddress("Hauptstraße 5", "10115", "Berlin", country="DE"),
    vat_id="DE136695976",
    electronic_address="rechnung@mueller.example",
)
PUBLIC_BUYER = Party(
    name="Université de Lyon – Bibliothèque",
    address=PostalAddress("92 rue Pasteur", "69007", "Lyon"),
    siren="552032534",
    siret="55203253400018",
    electronic_address="factures@univ-lyon.example",
)
SWISS_BUYER = Party(  # outside the EU: no EU VAT number, no SIREN (BR-G-*: none needed)
    name="Librairie du Lac SA",
    address=PostalAddress("Rue de Bourg 10", "1003", "Lausanne", country="CH"),
    electronic_address="factures@librairie-du-lac.example",
)
THIRD_PARTY_PAYER = Party(
    name="France Abonnements SA",
    address=PostalAddress("3 boulevard Haussmann", "75009", "Paris", line2="BP 42"),
    siren="123456782",
    siret="12345678200010",
    vat_id="FR11123456782",
    electronic_address="factures@france-abonnements.example",
)


def line(
    line_id: str,
    name: str,
    quantity: str,
    price: str,
    category: VatCategory = VatCategory.STANDARD,
    rate: str = "20",
    **extra: object,
) -> InvoiceLine:
    qty, net = Decimal(quantity), Decimal(price)
    return InvoiceLine(
        line_id=line_id,
        name=name,
        quantity=qty,
        unit_code=str(extra.pop("unit_code", "C62")),
        net_price=net,
        net_amount=_cents(qty * net),
        vat_category=category,
        vat_rate=Decimal(rate),
        **extra,  # type: ignore[arg-type]
    )


def complete(
    number: str,
    buyer: Party,
    lines: list[InvoiceLine],
    *,
    allowances: tuple[DocumentAllowanceCharge, ...] = (),
    type_code: str = "380",
    exemptions: dict[VatCategory, tuple[str, str | None]] | None = None,
    profile: CompanyProfile | None = None,
    **header: object,
) -> FacturXInvoice:
    """Fill VAT breakdown, totals, dates and payment means around `lines`."""
    profile = profile or demo_profile()
    bases: dict[tuple[VatCategory, Decimal], Decimal] = defaultdict(Decimal)
    for item in lines:
        bases[(item.vat_category, item.vat_rate)] += item.net_amount
    for a in allowances:
        bases[(a.vat_category, a.vat_rate)] += a.amount if a.charge else -a.amount
    rows = []
    for (category, rate), base in bases.items():
        reason, code = (exemptions or {}).get(category) or exemption_for(category)
        rows.append(
            VatBreakdown(category, rate, base, _cents(base * rate / 100), reason, code)
        )
    line_total = sum((i.net_amount for i in lines), Decimal("0.00"))
    allowance_total = sum((a.amount for a in allowances if not a.charge), Decimal("0.00"))
    charge_total = sum((a.amount for a in allowances if a.charge), Decimal("0.00"))
    basis = line_total - allowance_total + charge_total
    tax = sum((r.tax_amount for r in rows), Decimal("0.00"))
    means = (
        PaymentMeans(
            PaymentMeansCode.SEPA_CREDIT_TRANSFER,
            iban=profile.iban,
            bic=profile.bic,
            account_name=profile.name,
            remittance_info=number,
        ),
    )
    fields: dict[str, object] = {
        "due_date": ISSUE + timedelta(days=30),
        "delivery_date": ISSUE,
        "payment_means": means,
        "payment_terms": "Paiement à 30 jours par virement",
    }
    fields.update(header)
    return FacturXInvoice(
        number=number,
        type_code=type_code,
        issue_date=ISSUE,
        seller=seller_party(profile),
        buyer=buyer,
        lines=tuple(lines),
        vat_breakdown=tuple(rows),
        totals=Totals(
            line_total=line_total,
            allowance_total=allowance_total,
            charge_total=charge_total,
            tax_basis_total=basis,
            tax_total=tax,
            grand_total=basis + tax,
            due_payable=basis + tax,
        ),
        allowances_charges=allowances,
        **fields,  # type: ignore[arg-type]
    )


def _vat_rates() -> FacturXInvoice:
    return complete(
        "FA-2026-000101",
        FRENCH_BUYER,
        [
            line("1", "Abonnement annuel « Revue Liasse »", "2", "89.00", rate="2.1",
                 unit_code="ANN", period_start=date(2026, 3, 1), period_end=date(2027, 2, 28)),
            line("2", "Livre « Les circuits de validation »", "3", "24.50", rate="5.5"),
            line("3", "Transport et manutention", "1", "12.00", rate="10"),
            line("4", "Formation en ligne (2 h)", "1", "350.00", rate="20"),
            line("5", "Timbres de collection (taux zéro)", "1", "15.00", VatCategory.ZERO, "0"),
        ],
    )


def _discount() -> FacturXInvoice:
    return complete(
        "FA-2026-000102",
        FRENCH_BUYER,
        [
            line("1", "Abonnement « Revue Liasse » – 10 exemplaires", "10", "45.00", rate="2.1",
                 gross_price=Decimal("50.00"), price_discount=Decimal("5.00")),
            line("2", "Reliure", "4", "19.90"),
            replace(line("3", "Coffret collector", "2", "50.00"), net_amount=Decimal("90.00"),
                    allowances_charges=(LineAllowanceCharge(
                        Decimal("10.00"), "Remise client 10 %", "95", percent=Decimal("10"),
                        base_amount=Decimal("100.00")),)),
        ],
        allowances=(
            DocumentAllowanceCharge(
                Decimal("16.96"), VatCategory.STANDARD, Decimal("20"), "Remise fidélité 10 %",
                reason_code="95", base_amount=Decimal("169.60"), percent=Decimal("10"),
            ),
            DocumentAllowanceCharge(
                Decimal("6.00"), VatCategory.STANDARD, Decimal("20"), "Frais de port",
                charge=True, reason_code="FC",
            ),
        ),
    )


def _exempt() -> FacturXInvoice:
    return complete(
        "FA-2026-000103", FRENCH_BUYER,
        [line("1", "Conférence (organisme de formation exonéré)", "1", "600.00",
              VatCategory.EXEMPT, "0")],
        exemptions={VatCategory.EXEMPT: ("Exonération de TVA, article 261-4-4° a du CGI", None)},
    )


def _reverse_charge() -> FacturXInvoice:
    return complete(
        "FA-2026-000104", GERMAN_BUYER,
        [line("1", "Licence logicielle annuelle", "1", "1200.00", VatCategory.REVERSE_CHARGE, "0")],
        exemptions={VatCategory.REVERSE_CHARGE: INTRA_EU_SERVICES[0::2]},
    )


def _intra_eu() -> FacturXInvoice:
    return complete(
        "FA-2026-000105", GERMAN_BUYER,
        [line("1", "Coffret de 12 numéros reliés", "5", "140.00", VatCategory.INTRA_EU, "0")],
        deliver_to_name=GERMAN_BUYER.name, deliver_to_address=GERMAN_BUYER.address,
        business_process="B1",
    )


def _export() -> FacturXInvoice:
    return complete(
        "FA-2026-000110", SWISS_BUYER,
        [line("1", "Coffret de 12 numéros reliés", "3", "140.00", VatCategory.EXPORT, "0")],
        business_process="B1",
    )


def _third_party() -> FacturXInvoice:
    beneficiaries = ["M. Jean Dupont", "Mme Claire Martin", "Médiathèque de Vienne"]
    return complete(
        "FA-2026-000106", THIRD_PARTY_PAYER,
        [
            line(str(i), "Abonnement annuel « Revue Liasse »", "1", "89.00", rate="2.1",
                 note=f"Bénéficiaire : {name}", beneficiary_name=name)
            for i, name in enumerate(beneficiaries, start=1)
        ],
    )


def _public() -> FacturXInvoice:
    return complete(
        "FA-2026-000107", PUBLIC_BUYER,
        [line("1", "Abonnement institutionnel « Revue Liasse » (accès en ligne)", "1", "420.00",
              rate="20")],
        buyer_reference="SERV-BIBLIO-01", purchase_order="EJ-2026-0042-7781",
    )


def _credit_note() -> FacturXInvoice:
    return complete(
        "AV-2026-000011", FRENCH_BUYER,
        [line("1", "Annulation partielle : Livre « Les circuits de validation »", "1", "24.50",
              rate="5.5")],
        type_code="381",
        preceding_invoices=(PrecedingInvoice("FA-2026-000101", ISSUE),),
        payment_terms="Avoir imputé sur la facture FA-2026-000101",
    )


def _direct_debit() -> FacturXInvoice:
    invoice = complete(
        "FA-2026-000108", FRENCH_BUYER, [line("1", "Abonnement mensuel", "1", "9.90", rate="2.1")]
    )
    profile = demo_profile()
    debit = PaymentMeans(
        PaymentMeansCode.SEPA_DIRECT_DEBIT,
        mandate_reference="RUM-000123",
        creditor_id=profile.sepa_creditor_id,
        debited_iban="FR7630004000031234567890143",
        remittance_info=invoice.number,
    )
    return replace(invoice, payment_means=(debit,), payment_terms="Prélèvement SEPA à échéance")


def _card() -> FacturXInvoice:
    invoice = complete(
        "FA-2026-000109", FRENCH_BUYER,
        [line("1", "Hors-série « Cartes et territoires »", "2", "14.90", rate="5.5")],
    )
    card = PaymentMeans(PaymentMeansCode.BANK_CARD, card_last_digits="4242",
                        remittance_info=invoice.number, information="Payée par carte en ligne")
    return replace(invoice, payment_means=(card,), payment_terms="Payée par carte bancaire")


SAMPLES = {
    "vat_rates": _vat_rates,
    "discount": _discount,
    "exempt": _exempt,
    "reverse_charge": _reverse_charge,
    "intra_eu": _intra_eu,
    "export": _export,
    "third_party": _third_party,
    "public": _public,
    "credit_note": _credit_note,
    "direct_debit": _direct_debit,
    "card": _card,
}


def sample_invoice(kind: str) -> FacturXInvoice:
    return SAMPLES[kind]()


def routed_sample(number: str, *, buyer_siret: str, service_code: str | None = None,
                  legal_commitment: str | None = None) -> FacturXInvoice:
    """The public-buyer sample with the fields Chorus Pro routes on set: buyer SIRET, service
    code (BT-10) and legal commitment (BT-13)."""
    buyer = replace(PUBLIC_BUYER, siret=buyer_siret, siren=buyer_siret[:9])
    return replace(_public(), number=number, buyer=buyer, buyer_reference=service_code,
                   purchase_order=legal_commitment)


@lru_cache(maxsize=1)
def _blank_page() -> bytes:
    """One empty PDF/A-3b page, rendered once per process."""
    from documents.rendering import html_to_pdf

    return html_to_pdf("<html lang='fr'><body></body></html>")


def xml_only_pdf(invoice: FacturXInvoice, *, broken: bool = False,
                 legal_notes: bool = True) -> bytes:
    """A valid Factur-X PDF of `invoice` (with the demo company's mandatory notes) whose page is
    blank: the CII XML embedded in one empty PDF/A-3 page, for tests and benchmarks of what reads
    the XML (a deposit, a seal) where drawing every page would dominate. `broken=True` adds an
    element the XSD forbids (a flow Chorus Pro must reject with its XSD error)."""
    from documents.facturx.cii import cii_xml_bytes
    from documents.facturx.issue import embed_facturx
    from documents.facturx.mentions import with_legal_notes

    if legal_notes:
        invoice = with_legal_notes(invoice, demo_profile())
    xml = cii_xml_bytes(invoice)
    if broken:
        xml = xml.replace(b"</rsm:ExchangedDocument>",
                          b"<ram:Unexpected>x</ram:Unexpected></rsm:ExchangedDocument>", 1)
    return embed_facturx(_blank_page(), xml, invoice)


def chorus_sample(number: str, *, buyer_siret: str, service_code: str | None = None,
                  legal_commitment: str | None = None, broken: bool = False) -> bytes:
    """A Factur-X PDF (EN 16931) for invoice `number` to a public buyer: `routed_sample` with
    a blank page (`xml_only_pdf`)."""
    return xml_only_pdf(routed_sample(number, buyer_siret=buyer_siret, service_code=service_code,
                                      legal_commitment=legal_commitment), broken=broken)
