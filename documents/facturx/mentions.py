"""Mandatory French invoice mentions, as BG-1 notes and as VAT exemption wording.

BR-FR-05 requires three notes with their UNTDID 4451 subject codes: PMT (the €40 fixed recovery
indemnity), PMD (late-payment penalty rate) and AAB (early-payment discount, or its absence).
They come from the company profile unless the invoice already carries them. The printed PDF shows
the same sentences, in the document's language.
"""

from __future__ import annotations

from dataclasses import replace

from documents.facturx.model import FacturXInvoice, Note, VatCategory
from documents.profile import CompanyProfile
from dossiers.i18n import tr

SUBJECT_RECOVERY = "PMT"
SUBJECT_PENALTIES = "PMD"
SUBJECT_DISCOUNT = "AAB"

# Default exemption wording (BT-120) and VATEX code (BT-121) per category.
EXEMPTIONS: dict[VatCategory, tuple[str, str, str | None]] = {
    VatCategory.EXEMPT: (
        "TVA non applicable, art. 293 B du CGI",
        "VAT not applicable, art. 293 B of the French tax code",
        None,
    ),
    VatCategory.REVERSE_CHARGE: (
        "Autoliquidation",
        "Reverse charge",
        "VATEX-EU-AE",
    ),
    VatCategory.INTRA_EU: (
        "Exonération de TVA, article 262 ter I du CGI",
        "VAT exempt intra-community supply, article 262 ter I of the French tax code",
        "VATEX-EU-IC",
    ),
    VatCategory.EXPORT: (
        "Exonération de TVA, article 262 I du CGI",
        "VAT exempt export outside the EU, article 262 I of the French tax code",
        "VATEX-EU-G",
    ),
    VatCategory.OUT_OF_SCOPE: (
        "Hors champ d'application de la TVA",
        "Outside the scope of VAT",
        "VATEX-EU-O",
    ),
}

# Intra-EU supply of *services* (B2B, art. 283-2 CGI): the buyer self-assesses the VAT.
INTRA_EU_SERVICES = (
    "Autoliquidation, article 283-2 du CGI",
    "Reverse charge, article 283-2 of the French tax code",
    "VATEX-EU-AE",
)


def exemption_for(category: VatCategory, language: str = "fr") -> tuple[str | None, str | None]:
    """Default (BT-120 text, BT-121 code) for a category; (None, None) when VAT is charged."""
    if category not in EXEMPTIONS:
        return None, None
    fr, en, code = EXEMPTIONS[category]
    return tr(fr, en, language), code


def recovery_text(profile: CompanyProfile, language: str) -> str:
    amount = f"{profile.recovery_indemnity_eur:.0f}"
    return tr(
        f"Indemnité forfaitaire pour frais de recouvrement de {amount} € en cas de retard "
        "de paiement (art. L441-10 et D441-5 du Code de commerce).",
        f"Fixed recovery indemnity of €{amount} for late payment "
        "(French Commercial Code, art. L441-10 and D441-5).",
        language,
    )


def penalties_text(profile: CompanyProfile, language: str) -> str:
    return tr(
        f"Pénalités de retard : {profile.late_payment_rate}, exigibles dès le lendemain "
        "de la date d'échéance.",
        f"Late-payment penalties: {profile.late_payment_rate_en}, due from the day after "
        "the due date.",
        language,
    )


def discount_text(profile: CompanyProfile, language: str) -> str:
    if profile.early_payment_discount:
        return tr(
            f"Escompte pour paiement anticipé : {profile.early_payment_discount}.",
            "Early-payment discount: "
            f"{profile.early_payment_discount_en or profile.early_payment_discount}.",
            language,
        )
    return tr("Pas d'escompte pour paiement anticipé.", "No early-payment discount.", language)


def legal_notes(profile: CompanyProfile, language: str = "fr") -> tuple[Note, ...]:
    return (
        Note(recovery_text(profile, language), SUBJECT_RECOVERY),
        Note(penalties_text(profile, language), SUBJECT_PENALTIES),
        Note(discount_text(profile, language), SUBJECT_DISCOUNT),
    )


def with_legal_notes(invoice: FacturXInvoice, profile: CompanyProfile) -> FacturXInvoice:
    """The invoice with the PMT/PMD/AAB notes added where the caller did not supply them."""
    present = {n.subject_code for n in invoice.notes}
    missing = tuple(
        n for n in legal_notes(profile, invoice.language) if n.subject_code not in present
    )
    return replace(invoice, notes=invoice.notes + missing) if missing else invoice
