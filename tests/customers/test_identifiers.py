"""Each identifier: compact form on success, and the precise reason on failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dossiers.errors import ValidationError
from dossiers.i18n import set_language
from dossiers.identifiers import (
    IdentifierChecksumError,
    IdentifierComponentError,
    IdentifierError,
    IdentifierFormatError,
    IdentifierLengthError,
    validate_bic,
    validate_email,
    validate_fr_vat,
    validate_iban,
    validate_mandate_reference,
    validate_mobile,
    validate_phone,
    validate_siren,
    validate_siret,
    validate_vat,
)

Validator = Callable[..., str]


@pytest.mark.parametrize(("validator", "raw", "compact"), [
    (validate_siret, "732 829 320 00074", "73282932000074"),
    (validate_siren, "732.829.320", "732829320"),
    (validate_fr_vat, "FR 44 732829320", "FR44732829320"),
    (validate_vat, "fr44732829320", "FR44732829320"),
    (validate_vat, "DE 129 273 398", "DE129273398"),
    (validate_iban, "FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    (validate_bic, "agrifrpp882", "AGRIFRPP882"),
    (validate_mandate_reference, " RUM-0001 ", "RUM-0001"),
    (validate_mobile, "+33 6 12 34 56 78", "+33612345678"),
    (validate_phone, "01 23 45 67 89", "+33123456789"),
    (validate_email, "Marie@Exemple.FR", "Marie@exemple.fr"),
])
def test_valid_identifiers_come_back_compact(validator: Validator, raw: str, compact: str) -> None:
    assert validator(raw) == compact


@pytest.mark.parametrize(("validator", "raw", "error", "words"), [
    (validate_siret, "73282932000075", IdentifierChecksumError, "clé de contrôle"),
    (validate_siret, "7328293200007", IdentifierLengthError, "13 caractères au lieu de 14"),
    (validate_siret, "7328293200007A", IdentifierFormatError, "seuls des chiffres"),
    (validate_siren, "732829321", IdentifierChecksumError, "clé de contrôle"),
    (validate_fr_vat, "FR45732829320", IdentifierChecksumError, "clé de contrôle"),
    (validate_vat, "FR4473282932", IdentifierLengthError, "au lieu de 11"),
    (validate_vat, "BE0403019262", IdentifierChecksumError, "clé de contrôle"),
    (validate_vat, "DE12927339", IdentifierLengthError, "longueur incorrecte pour ce pays"),
    (validate_vat, "US123456789", IdentifierComponentError, "préfixe pays"),
    (validate_iban, "FR7630006000011234567890188", IdentifierChecksumError, "clé de contrôle"),
    (validate_iban, "FR763000600001123456789018", IdentifierLengthError, "longueur"),
    (validate_iban, "XX7630006000011234567890189", IdentifierComponentError, "code pays"),
    (validate_bic, "BNPAFRP", IdentifierLengthError, "longueur"),
    (validate_mandate_reference, "RUM#1", IdentifierFormatError, "SEPA"),
    (validate_mandate_reference, "R" * 36, IdentifierLengthError, "35"),
    (validate_mobile, "01 23 45 67 89", IdentifierComponentError, "pas un numéro de mobile"),
    (validate_mobile, "06 12", IdentifierLengthError, "nombre de chiffres"),
    (validate_mobile, "bonjour", IdentifierFormatError, "pas un numéro"),
    (validate_email, "jean.dupont", IdentifierFormatError, "@"),
])
def test_invalid_identifiers_say_why(
    validator: Validator, raw: str, error: type[IdentifierError], words: str
) -> None:
    with pytest.raises(error) as caught:
        validator(raw)
    assert words in caught.value.fr
    assert raw.strip() in caught.value.fr
    assert isinstance(caught.value, ValidationError)


def test_error_names_the_field_and_speaks_english_on_request() -> None:
    with pytest.raises(IdentifierChecksumError) as caught:
        validate_siret("73282932000075", field="payer_siret")
    assert caught.value.field == "payer_siret"
    assert caught.value.reason == "checksum"
    set_language("en")
    try:
        assert str(caught.value).startswith("Invalid SIRET: the check digits are wrong")
    finally:
        set_language("fr")
