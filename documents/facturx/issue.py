"""Build the Factur-X PDF of an invoice: validate the XML, render the PDF/A-3b, embed the XML.

`build_facturx_pdf` is the single gate every issued invoice goes through: the CII XML is checked
against the XSD, the EN 16931 schematron and the French BR-FR schematron *before* anything is
rendered, and a failure raises `FacturXRejected` listing the rule ids, so a non-compliant invoice
never leaves. The returned bytes are a PDF/A-3b with `factur-x.xml` attached (AFRelationship
Data) and the Factur-X XMP extension schema, produced by the `factur-x` package.
"""

from __future__ import annotations

from dataclasses import dataclass

from facturx import generate_from_binary

from documents.errors import FacturXRejected
from documents.facturx.cii import cii_xml_bytes
from documents.facturx.mentions import with_legal_notes
from documents.facturx.model import FacturXInvoice, PaymentMeansCode, VatCategory
from documents.facturx.validation import FacturXReport, validate_cii
from documents.postal_address import country_name_fr
from documents.profile import CompanyProfile
from documents.rendering import html_to_pdf, render_html
from dossiers.i18n import tr

UNITS = {
    "C62": ("u.", "unit"),
    "H87": ("pièce", "piece"),
    "ANN": ("an", "year"),
    "MON": ("mois", "month"),
    "DAY": ("jour", "day"),
    "HUR": ("heure", "hour"),
    "KGM": ("kg", "kg"),
}
MEANS = {
    PaymentMeansCode.CREDIT_TRANSFER: ("Virement", "Credit transfer"),
    PaymentMeansCode.SEPA_CREDIT_TRANSFER: ("Virement SEPA", "SEPA credit transfer"),
    PaymentMeansCode.SEPA_DIRECT_DEBIT: ("Prélèvement SEPA", "SEPA direct debit"),
    PaymentMeansCode.BANK_CARD: ("Carte bancaire", "Bank card"),
    PaymentMeansCode.CREDIT_CARD: ("Carte de crédit", "Credit card"),
    PaymentMeansCode.DEBIT_CARD: ("Carte de débit", "Debit card"),
    PaymentMeansCode.DEBIT_TRANSFER: ("Virement (débit)", "Debit transfer"),
    PaymentMeansCode.PAYMENT_TO_BANK_ACCOUNT: ("Paiement sur compte bancaire",
                                               "Payment to bank account"),
}


@dataclass(frozen=True)
class FacturXDocument:
    """An issued invoice's artefacts: the Factur-X PDF, its XML and the validation report."""

    pdf: bytes
    xml: bytes
    report: FacturXReport


def invoice_html(invoice: FacturXInvoice, profile: CompanyProfile) -> str:
    """HTML of the invoice or credit note in the invoice's language."""
    lang = invoice.language

    def vat_label(category: VatCategory, rate: object) -> str:
        if category == VatCategory.STANDARD:
            return f"{rate:n} %".replace(".", "," if lang == "fr" else ".")
        return {
            VatCategory.EXEMPT: tr("Exonéré", "Exempt", lang),
            VatCategory.REVERSE_CHARGE: tr("Autoliq.", "Rev. charge", lang),
            VatCategory.INTRA_EU: tr("Intra-UE", "Intra-EU", lang),
            VatCategory.EXPORT: "Export",  # outside the EU (G): the same word in both languages
            VatCategory.ZERO: "0 %",
        }.get(category, category.value)

    mentions = list(dict.fromkeys(r.exemption_reason for r in invoice.vat_breakdown
                                  if r.exemption_reason))
    context = {
        "invoice": invoice,
        "vat_mentions": mentions,
        "buyer_country": country_name_fr(invoice.buyer.address.country),
        "unit_label": lambda code: tr(*UNITS.get(code, (code, code)), lang),
        "means_label": lambda code: tr(*MEANS[code], lang),
        "vat_label": vat_label,
    }
    return render_html("invoice.html", context, profile=profile, language=lang)


def _pdf_metadata(invoice: FacturXInvoice) -> dict[str, str]:
    kind = tr("Avoir", "Credit note", invoice.language) if invoice.is_credit_note else tr(
        "Facture", "Invoice", invoice.language
    )
    return {
        "author": invoice.seller.name,
        "keywords": "Factur-X, EN 16931",
        "title": f"{invoice.seller.name} : {kind} {invoice.number}",
        "subject": f"{kind} {invoice.number} – {invoice.issue_date.isoformat()} – "
        f"{invoice.buyer.name}",
    }


def embed_facturx(pdf: bytes, xml: bytes, invoice: FacturXInvoice) -> bytes:
    """Attach `factur-x.xml` to a PDF/A-3 and write the Factur-X XMP metadata."""
    return generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # already checked by validate_cii, with the schematrons
        pdf_metadata=_pdf_metadata(invoice),
        lang="fr-FR" if invoice.language == "fr" else "en-GB",
        xmp_compression=False,  # keeps the PDF ready for a later PAdES signature
    )


def build_facturx(invoice: FacturXInvoice, profile: CompanyProfile) -> FacturXDocument:
    """Validate, render and embed; raises `FacturXRejected` before rendering if invalid."""
    invoice = with_legal_notes(invoice, profile)
    xml = cii_xml_bytes(invoice)
    report = validate_cii(xml)
    if not report.ok:
        raise FacturXRejected(report)
    pdf = html_to_pdf(invoice_html(invoice, profile))
    return FacturXDocument(pdf=embed_facturx(pdf, xml, invoice), xml=xml, report=report)


def build_facturx_pdf(invoice: FacturXInvoice, profile: CompanyProfile) -> bytes:
    return build_facturx(invoice, profile).pdf
