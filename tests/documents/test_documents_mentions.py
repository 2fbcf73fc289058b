"""Legal mentions: BR-FR-05 notes and VAT exemption wording."""

from __future__ import annotations

from dataclasses import replace

from documents.facturx.mentions import (
    INTRA_EU_SERVICES,
    discount_text,
    exemption_for,
    legal_notes,
    with_legal_notes,
)
from documents.facturx.model import Note, VatCategory
from documents.facturx.samples import sample_invoice
from documents.profile import CompanyProfile


def test_exemption_wording_per_category() -> None:
    assert exemption_for(VatCategory.EXEMPT) == ("TVA non applicable, art. 293 B du CGI", None)
    assert exemption_for(VatCategory.REVERSE_CHARGE) == ("Autoliquidation", "VATEX-EU-AE")
    assert exemption_for(VatCategory.INTRA_EU) == (
        "Exonération de TVA, article 262 ter I du CGI", "VATEX-EU-IC")
    assert exemption_for(VatCategory.STANDARD) == (None, None)
    assert exemption_for(VatCategory.INTRA_EU, "en")[0].startswith("VAT exempt intra-community")
    assert INTRA_EU_SERVICES[0] == "Autoliquidation, article 283-2 du CGI"


def test_legal_notes_have_the_three_subject_codes(profile: CompanyProfile) -> None:
    notes = legal_notes(profile)
    assert [n.subject_code for n in notes] == ["PMT", "PMD", "AAB"]
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in notes[0].text.lower()
    assert notes[2].text == "Pas d'escompte pour paiement anticipé."


def test_discount_terms_from_profile(profile: CompanyProfile) -> None:
    generous = profile.model_copy(update={"early_payment_discount": "2 % à 8 jours",
                                          "early_payment_discount_en": "2% within 8 days"})
    assert discount_text(generous, "fr") == "Escompte pour paiement anticipé : 2 % à 8 jours."
    assert discount_text(generous, "en") == "Early-payment discount: 2% within 8 days."


def test_caller_notes_are_kept_and_not_duplicated(profile: CompanyProfile) -> None:
    own = Note("Escompte de 1 % pour paiement sous 10 jours.", "AAB")
    invoice = with_legal_notes(replace(sample_invoice("exempt"), notes=(own,)), profile)
    codes = [n.subject_code for n in invoice.notes]
    assert sorted(codes) == ["AAB", "PMD", "PMT"]
    assert own in invoice.notes
