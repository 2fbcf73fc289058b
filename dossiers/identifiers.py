"""Checking the identifiers a customer record carries, with errors a clerk can act on.

In the style of python-stdnum, each identifier has a `validate_*` function that takes what a
user typed (spaces, dots, lower case allowed) and returns its compact form, or raises an
`IdentifierError` subclass naming the field and *why* it was refused: a wrong check digit
(`IdentifierChecksumError`), a wrong length (`IdentifierLengthError`), characters that do not
belong (`IdentifierFormatError`) or a part that does not exist, such as an unknown country prefix
(`IdentifierComponentError`). The checks themselves are delegated to well-kept libraries:

- **SIRET** (14 digits): identifies one establishment of a French company: the SIREN followed by
  a 5-digit establishment number (NIC), the whole Luhn-checked (`stdnum.fr.siret`).
- **SIREN** (9 digits): identifies the company itself, Luhn-checked (`stdnum.fr.siren`).
- **French VAT number** (TVA intracommunautaire, ``FR`` + 2-character key + SIREN): the key is
  derived from the SIREN (`stdnum.fr.tva`).
- **intra-EU VAT number**: country prefix then a national number with its own rules
  (`stdnum.eu.vat`); printed on invoices to EU customers.
- **IBAN / BIC**: bank account and bank identifiers for SEPA direct debit (`schwifty`); the IBAN
  check includes the national check digits (the French RIB key).
- **SEPA mandate reference** (RUM): up to 35 characters of the restricted SEPA alphabet.
- **e-mail address**: syntax checked and domain lower-cased (`email_validator`, no DNS query).
- **mobile phone**: stored in E.164 form (``+33612345678``) so SMS gateways accept it
  (`phonenumbers`).
- **country**: an ISO 3166-1 alpha-2 code that exists (`pycountry`), upper-cased.
- **names and other typed text** (`forbidden_character`, `validate_plain_text`): no control
  character (C0, DEL, C1: escape sequences, NUL, tabs in a postal line) and no bidirectional
  formatting character (U+202E RIGHT-TO-LEFT OVERRIDE and its kin), which would make a name
  display differently from what it is on screens, documents and the evidence page.

Messages are French first, with an English twin, like every `LiasseError`.

>>> validate_siret("732 829 320 00074")
'73282932000074'
>>> validate_siren("732829320")
'732829320'
>>> validate_fr_vat("fr 40 303 265 045")
'FR40303265045'
>>> validate_vat("BE 0403.019.261")
'BE0403019261'
>>> validate_iban("fr76 3000 6000 0112 3456 7890 189")
'FR7630006000011234567890189'
>>> validate_bic("bnpa fr pp")
'BNPAFRPP'
>>> validate_email("Jean.Dupont@Exemple.FR")
'Jean.Dupont@exemple.fr'
>>> validate_mobile("06 12 34 56 78")
'+33612345678'
>>> validate_mandate_reference("RUM-2024-000123")
'RUM-2024-000123'
>>> validate_siret("73282932000075")
Traceback (most recent call last):
...
dossiers.identifiers.IdentifierChecksumError: SIRET invalide : la clé de contrôle est fausse (73282932000075).
>>> validate_siret("7328293200007")
Traceback (most recent call last):
...
dossiers.identifiers.IdentifierLengthError: SIRET invalide : 13 caractères au lieu de 14 (7328293200007).
>>> try:
...     validate_iban("FR7630006000011234567890188", field="iban")
... except IdentifierError as error:
...     print(error.field, error.reason, "|", error.en)
iban checksum | Invalid IBAN: the check digits are wrong (FR7630006000011234567890188).
"""  # noqa: E501

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import email_validator
import phonenumbers
import pycountry
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from dossiers.errors import ValidationError

Reason = Literal["checksum", "length", "format", "component"]


class IdentifierError(ValidationError):
    """An identifier was refused; `field` names the input field, `reason` says why."""

    reason: Reason = "format"

    def __init__(self, fr: str, en: str, *, field: str) -> None:
        super().__init__(fr, en)
        self.field = field


class IdentifierChecksumError(IdentifierError):
    """The check digits or key do not match the rest of the number (usually a typo)."""

    reason: Reason = "checksum"


class IdentifierLengthError(IdentifierError):
    """Too many or too few characters."""

    reason: Reason = "length"


class IdentifierFormatError(IdentifierError):
    """Characters that do not belong there (letters in a SIRET, punctuation in a BIC...)."""

    reason: Reason = "format"


class IdentifierComponentError(IdentifierError):
    """A part of the number does not exist: unknown country prefix, not a mobile number..."""

    reason: Reason = "component"


@dataclass(frozen=True)
class _Label:
    fr: str
    en: str


SIRET = _Label("SIRET invalide", "Invalid SIRET")
SIREN = _Label("SIREN invalide", "Invalid SIREN")
VAT = _Label("Numéro de TVA intracommunautaire invalide", "Invalid intra-EU VAT number")
IBAN_LABEL = _Label("IBAN invalide", "Invalid IBAN")
BIC_LABEL = _Label("BIC invalide", "Invalid BIC")
MANDATE = _Label("Référence de mandat SEPA (RUM) invalide", "Invalid SEPA mandate reference")
MOBILE = _Label("Numéro de mobile invalide", "Invalid mobile number")
EMAIL = _Label("Adresse e-mail invalide", "Invalid e-mail address")
PHONE = _Label("Numéro de téléphone invalide", "Invalid phone number")


def _fail(
    kind: type[IdentifierError], label: _Label, field: str, value: str, why_fr: str, why_en: str
) -> IdentifierError:
    shown = value.strip()
    return kind(f"{label.fr} : {why_fr} ({shown}).", f"{label.en}: {why_en} ({shown}).",
                field=field)


_CHECKSUM_FR, _CHECKSUM_EN = "la clé de contrôle est fausse", "the check digits are wrong"


def _stdnum(
    module: ModuleType,
    value: str,
    *,
    field: str,
    label: _Label,
    expected_length: int | None,
    digits_only: bool,
) -> str:
    """Run a python-stdnum validator and translate its exception into a precise one."""
    try:
        return str(module.validate(value))
    except stdnum_errors.InvalidChecksum:
        raise _fail(IdentifierChecksumError, label, field, value, _CHECKSUM_FR,
                    _CHECKSUM_EN) from None
    except stdnum_errors.InvalidLength:
        compact = module.compact(value)
        if expected_length is not None:
            why_fr = f"{len(compact)} caractères au lieu de {expected_length}"
            why_en = f"{len(compact)} characters instead of {expected_length}"
        else:
            why_fr = "longueur incorrecte pour ce pays"
            why_en = "wrong length for this country"
        raise _fail(IdentifierLengthError, label, field, value, why_fr, why_en) from None
    except stdnum_errors.InvalidFormat:
        why_fr = "seuls des chiffres sont attendus" if digits_only else "format incorrect"
        why_en = "only digits are expected" if digits_only else "wrong format"
        raise _fail(IdentifierFormatError, label, field, value, why_fr, why_en) from None
    except stdnum_errors.InvalidComponent:
        raise _fail(IdentifierComponentError, label, field, value,
                    "préfixe pays inconnu ou hors Union européenne",
                    "unknown or non-EU country prefix") from None


def validate_siret(value: str, *, field: str = "siret") -> str:
    """Return the 14-digit SIRET, or raise saying whether the key, length or format is wrong."""
    return _stdnum(fr_siret, value, field=field, label=SIRET, expected_length=14,
                   digits_only=True)


def validate_siren(value: str, *, field: str = "siren") -> str:
    """Return the 9-digit SIREN, or raise saying whether the key, length or format is wrong."""
    return _stdnum(fr_siren, value, field=field, label=SIREN, expected_length=9,
                   digits_only=True)


def validate_fr_vat(value: str, *, field: str = "vat_number") -> str:
    """Return a French VAT number as ``FR`` + key + SIREN.

    `stdnum.fr.tva.validate` returns the number *without* its ``FR`` prefix; we put it back so
    the stored form is the one printed on invoices.

    >>> validate_fr_vat("40303265045")
    'FR40303265045'
    """
    body = _stdnum(fr_tva, value, field=field, label=VAT, expected_length=11,
                   digits_only=False)
    return f"FR{body}"


def validate_vat(value: str, *, field: str = "vat_number") -> str:
    """Return an intra-EU VAT number (country prefix + national part), checked for its country.

    French numbers go through `validate_fr_vat` for a more precise length message.

    >>> validate_vat("GB980780684")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierComponentError: Numéro de TVA intracommunautaire invalide : préfixe pays inconnu ou hors Union européenne (GB980780684).
    """  # noqa: E501
    if re.sub(r"[\s.\-/]", "", value).upper().startswith("FR"):
        return validate_fr_vat(value, field=field)
    return _stdnum(eu_vat, value, field=field, label=VAT, expected_length=None,
                   digits_only=False)


def siren_of_fr_vat(vat_number: str) -> str | None:
    """The SIREN inside a (compact, valid) French VAT number, None for other countries.

    >>> siren_of_fr_vat("FR40303265045")
    '303265045'
    """
    return vat_number[4:] if vat_number.startswith("FR") and len(vat_number) == 13 else None


_SCHWIFTY_REASONS: list[tuple[type[Exception], type[IdentifierError], str, str]] = [
    (schwifty_errors.InvalidChecksumDigits, IdentifierChecksumError, _CHECKSUM_FR, _CHECKSUM_EN),
    (schwifty_errors.InvalidBBANChecksum, IdentifierChecksumError,
     "la clé nationale (clé RIB) est fausse", "the national check digits (RIB key) are wrong"),
    (schwifty_errors.InvalidLength, IdentifierLengthError,
     "longueur incorrecte", "wrong length"),
    (schwifty_errors.InvalidCountryCode, IdentifierComponentError,
     "code pays inconnu", "unknown country code"),
    (schwifty_errors.InvalidBankCode, IdentifierComponentError,
     "code banque inconnu", "unknown bank code"),
    (schwifty_errors.InvalidBranchCode, IdentifierComponentError,
     "code guichet inconnu", "unknown branch code"),
    (schwifty_errors.InvalidAccountCode, IdentifierComponentError,
     "numéro de compte invalide", "invalid account number"),
    (schwifty_errors.InvalidStructure, IdentifierFormatError,
     "format incorrect pour ce pays", "wrong format for this country"),
]


def _schwifty(factory: Callable[[str], object], value: str, *, field: str, label: _Label) -> str:
    try:
        return str(factory(value).compact)  # type: ignore[attr-defined]
    except schwifty_errors.SchwiftyException as exc:
        for error_type, kind, why_fr, why_en in _SCHWIFTY_REASONS:
            if isinstance(exc, error_type):
                raise _fail(kind, label, field, value, why_fr, why_en) from None
        raise _fail(IdentifierFormatError, label, field, value, "format incorrect",
                    "wrong format") from None


def validate_iban(value: str, *, field: str = "iban") -> str:
    """Return the compact IBAN; the ISO check digits *and* the national key are checked.

    >>> validate_iban("FR76300060000112345678901")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierLengthError: IBAN invalide : longueur incorrecte (FR76300060000112345678901).
    """  # noqa: E501
    return _schwifty(lambda v: IBAN(v, validate_bban=True), value, field=field,
                     label=IBAN_LABEL)


def validate_bic(value: str, *, field: str = "bic") -> str:
    """Return the compact BIC (8 or 11 characters).

    >>> validate_bic("BNPA1RPP")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierFormatError: BIC invalide : format incorrect pour ce pays (BNPA1RPP).
    """  # noqa: E501
    return _schwifty(BIC, value, field=field, label=BIC_LABEL)


# SEPA rulebook: up to 35 characters from the restricted Latin set, no leading "/" or "//".
_MANDATE_CHARS = re.compile(r"[A-Za-z0-9+?/\-:().,' ]+")


def validate_mandate_reference(value: str, *, field: str = "mandate_reference") -> str:
    """Return the SEPA mandate reference (RUM), stripped.

    >>> validate_mandate_reference("RUM_2024")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierFormatError: Référence de mandat SEPA (RUM) invalide : caractère non autorisé par SEPA (RUM_2024).
    """  # noqa: E501
    reference = value.strip()
    if not reference or len(reference) > 35:
        raise _fail(IdentifierLengthError, MANDATE, field, value,
                    "1 à 35 caractères attendus", "1 to 35 characters expected")
    if not _MANDATE_CHARS.fullmatch(reference):
        raise _fail(IdentifierFormatError, MANDATE, field, value,
                    "caractère non autorisé par SEPA", "character not allowed by SEPA")
    if reference.startswith("/") or "//" in reference:
        raise _fail(IdentifierFormatError, MANDATE, field, value,
                    "« / » en tête ou « // » interdits", "leading '/' or '//' not allowed")
    return reference


_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def _parse_phone(value: str, *, field: str, region: str, label: _Label) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise _fail(IdentifierFormatError, label, field, value, "ce n'est pas un numéro",
                    "not a phone number") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise _fail(IdentifierComponentError, label, field, value, "indicatif pays inconnu",
                    "unknown country calling code")
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise _fail(IdentifierLengthError, label, field, value,
                    "nombre de chiffres incorrect", "wrong number of digits")
    if not phonenumbers.is_valid_number(number):
        raise _fail(IdentifierComponentError, label, field, value,
                    "ce numéro n'est attribué à aucun opérateur", "no such number range")
    return number


def validate_phone(value: str, *, field: str = "phone", region: str = "FR") -> str:
    """Return any valid phone number in E.164 form (national numbers read in `region`).

    >>> validate_phone("01 23 45 67 89")
    '+33123456789'
    """
    number = _parse_phone(value, field=field, region=region, label=PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_mobile(value: str, *, field: str = "mobile", region: str = "FR") -> str:
    """Return a mobile number in E.164 form; landlines are refused (SMS codes go there).

    >>> validate_mobile("+49 151 12345678")
    '+4915112345678'
    >>> validate_mobile("01 23 45 67 89")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierComponentError: Numéro de mobile invalide : ce n'est pas un numéro de mobile (01 23 45 67 89).
    """  # noqa: E501
    number = _parse_phone(value, field=field, region=region, label=MOBILE)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise _fail(IdentifierComponentError, MOBILE, field, value,
                    "ce n'est pas un numéro de mobile", "not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_email(value: str, *, field: str = "email") -> str:
    """Return the normalised e-mail address (syntax only: no DNS lookup at the edge).

    >>> validate_email("jean.dupont@")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierFormatError: Adresse e-mail invalide : il manque le domaine après « @ » (jean.dupont@).
    """  # noqa: E501
    try:
        return email_validator.validate_email(value.strip(), check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        if "@" not in value:
            why_fr, why_en = "il manque « @ »", "the '@' is missing"
        elif value.strip().endswith("@"):
            why_fr, why_en = "il manque le domaine après « @ »", "the domain after '@' is missing"
        else:
            why_fr, why_en = f"format incorrect ({exc})", f"wrong format ({exc})"
        raise _fail(IdentifierFormatError, EMAIL, field, value, why_fr, why_en) from None


# Bidirectional formatting characters: embeddings, overrides, isolates, marks. They change how
# the surrounding text is displayed (after U+202E, "exe.pdf" shows as "fdp.exe"), not what it is.
_BIDI_CONTROLS = {
    0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
}


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    r"""The first character a name or typed label must not hold, as ``U+XXXX NAME``, or None.

    Control characters (Unicode category Cc: C0, DEL, C1) and the bidirectional formatting
    characters are refused; `multiline` allows line feeds, carriage returns and tabs (free-text
    notes).

    >>> forbidden_character("Dupont")
    >>> forbidden_character("Dupont\u202e")
    'U+202E RIGHT-TO-LEFT OVERRIDE'
    >>> forbidden_character("ligne 1\nligne 2", multiline=True)
    """
    for char in value:
        code = ord(char)
        if multiline and char in "\n\r\t":
            continue
        if code in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            name = unicodedata.name(char, "CONTROL CHARACTER")
            return f"U+{code:04X} {name}"
    return None


def validate_plain_text(value: str, *, field: str, label: tuple[str, str] | None = None,
                        multiline: bool = False) -> str:
    """Return `value` unchanged, or raise `IdentifierFormatError` naming the field and the
    character (`label` is the field's French and English name, default the field name)."""
    found = forbidden_character(value, multiline=multiline)
    if found is None:
        return value
    label_fr, label_en = label or (field, field)
    raise IdentifierFormatError(
        f"Champ « {label_fr} » : caractère interdit {found} (caractère de contrôle ou "
        "d'inversion du sens d'écriture).",
        f"Field '{label_en}': forbidden character {found} (control or bidirectional "
        "override character).",
        field=field,
    )


def validate_country(value: str, *, field: str = "country",
                     label: tuple[str, str] = ("pays", "country")) -> str:
    """Return the upper-cased ISO 3166-1 alpha-2 code, or raise if no such country exists.

    >>> validate_country("be")
    'BE'
    >>> validate_country("XX")
    Traceback (most recent call last):
    ...
    dossiers.identifiers.IdentifierComponentError: Champ « pays » : « XX » n'est pas un code pays ISO 3166 (FR, BE, DE…).
    """  # noqa: E501
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise IdentifierFormatError(
            f"Champ « {label[0]} » : « {value.strip()} » n'est pas un code pays à deux lettres "
            "(ISO 3166 : FR, BE, DE…).",
            f"Field '{label[1]}': '{value.strip()}' is not a two-letter country code "
            "(ISO 3166: FR, BE, DE...).",
            field=field,
        )
    if pycountry.countries.get(alpha_2=code) is None:
        raise IdentifierComponentError(
            f"Champ « {label[0]} » : « {code} » n'est pas un code pays ISO 3166 (FR, BE, DE…).",
            f"Field '{label[1]}': '{code}' is not an ISO 3166 country code (FR, BE, DE...).",
            field=field,
        )
    return code
