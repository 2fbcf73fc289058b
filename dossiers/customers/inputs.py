"""What a caller may send to create or change a customer, checked before anything is written.

`CustomerInput` checks every field on its own (identifiers, e-mail, E.164 mobile, 38-character
postal lines, discounts 0-100, payment term >= 0) and the rules that need several fields but no
database (a beneficiary names a payer, postal lines 2 and 6 fit in 38 characters, the VAT number
belongs to the SIRET's company...). Rules that need the database (the payer exists and is a
third-party payer, the sales rep exists) live in `service`.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from dossiers.customers.models import CustomerType
from dossiers.errors import ValidationError
from dossiers.identifiers import siren_of_fr_vat, validate_country
from dossiers.input_validation import (
    Bic,
    Blank,
    Email,
    Iban,
    MandateReference,
    Mobile,
    OptText,
    Phone,
    Siret,
    Text38,
    VatNumber,
)

POSTAL_LINE = 38



Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
# An ISO 3166-1 alpha-2 code that exists ("be" -> "BE"; "XX", "UK", "EU" are refused).
CountryCode = Annotated[str, AfterValidator(lambda value: validate_country(value))]


class VatRegime(enum.StrEnum):
    """VAT treatment applied when invoicing (seed 002 "Affiliation à la TVA")."""

    FRANCE = "france"
    EU = "eu"  # intra-EU reverse charge: the customer's VAT number is required
    EXPORT = "export"
    EXEMPT = "exempt"


def postal_line_2(title: str | None, last_name: str | None, first_name: str | None) -> str:
    """Line 2 of the French postal norm: title, last name, first name."""
    return " ".join(p for p in (title, last_name, first_name) if p)


def postal_line_6(postcode: str | None, city: str | None) -> str:
    return " ".join(p for p in (postcode, city) if p)


def _too_long(line_fr: str, line_en: str, text: str) -> ValidationError:
    return ValidationError(
        f"Adresse : la {line_fr} « {text} » dépasse {POSTAL_LINE} caractères ({len(text)}).",
        f"Address: {line_en} '{text}' exceeds {POSTAL_LINE} characters ({len(text)}).",
    )


def check_postal_lines(line2: str, postcode: str | None, city: str | None, country: str) -> None:
    """Lines 2 and 6 are composed of several fields: check the composed line fits."""
    if len(line2) > POSTAL_LINE:
        raise _too_long("ligne 2 (civilité nom prénom)", "line 2 (title name first name)", line2)
    line6 = postal_line_6(postcode, city)
    if len(line6) > POSTAL_LINE:
        raise _too_long("ligne 6 (code postal ville)", "line 6 (postcode city)", line6)
    if country == "FR" and postcode and not (len(postcode) == 5 and postcode.isdigit()):
        raise ValidationError(
            f"Code postal français invalide : 5 chiffres attendus ({postcode}).",
            f"Invalid French postcode: 5 digits expected ({postcode}).",
        )


class CustomerInput(BaseModel):
    """Every field a user can type on the customer record."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: CustomerType = CustomerType.NORMAL
    is_company: bool = False
    company_name: Text38 = None
    company_number: OptText(20) = None  # a contact attached to this company record
    title: OptText(20) = None
    last_name: OptText(38) = None
    first_name: OptText(38) = None
    address_name_extra: Text38 = None
    address_street: Text38 = None
    address_extra: Text38 = None
    postcode: OptText(10) = None
    city: Text38 = None
    country: CountryCode = "FR"
    email: Email = None
    mobile: Mobile = None
    phone: Phone = None
    siret: Siret = None
    vat_number: VatNumber = None
    # Accounting
    invoice_language: Literal["fr", "en"] = "fr"
    vat_regime: VatRegime = VatRegime.FRANCE
    payment_method: OptText(30) = None
    payment_term_days: Annotated[int, Field(ge=0, le=366)] = 0
    discount_subscriptions_pct: Percent = Decimal(0)
    discount_items_pct: Percent = Decimal(0)
    ledger_account: OptText(20) = None
    auxiliary_account: OptText(30) = None
    iban: Iban = None
    bic: Bic = None
    mandate_reference: MandateReference = None
    mandate_signed_on: date | None = None
    is_public_buyer: bool = False
    service_code: OptText(100) = None
    # Relations
    payer_number: OptText(20) = None
    sales_rep_login: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                      to_lower=True)]
    # Mailing exclusions
    no_sms: bool = False
    no_mailing: bool = False
    no_emailing: bool = False
    do_not_share: bool = False
    notes: Annotated[str | None, Blank] = None

    @model_validator(mode="after")
    def _cross_field_rules(self) -> CustomerInput:
        if not (self.company_name or self.last_name):
            raise ValidationError("Un nom ou une société est obligatoire.",
                                  "A last name or a company name is required.")
        if self.is_company and not self.company_name:
            raise ValidationError("Une fiche société doit porter le nom de la société.",
                                  "A company record needs its company name.")
        check_postal_lines(postal_line_2(self.title, self.last_name, self.first_name),
                           self.postcode, self.city, self.country)
        self._check_payer()
        self._check_identifiers()
        return self

    def _check_payer(self) -> None:
        if self.type == CustomerType.BENEFICIARY and not self.payer_number:
            raise ValidationError(
                "Un client « payé par » doit être rattaché à son tiers payant (numéro du tiers).",
                "A beneficiary (paid-by) customer must be linked to its third-party payer.",
            )
        if self.type != CustomerType.BENEFICIARY and self.payer_number:
            raise ValidationError(
                "Seul un client « payé par » peut être rattaché à un tiers payant.",
                "Only a beneficiary customer can be linked to a third-party payer.",
            )

    def _check_identifiers(self) -> None:
        if self.mandate_reference and not self.iban:
            raise ValidationError("Un mandat SEPA exige un IBAN.",
                                  "A SEPA mandate requires an IBAN.")
        vat_siren = siren_of_fr_vat(self.vat_number or "")
        if vat_siren and self.siret and self.siret[:9] != vat_siren:
            raise ValidationError(
                f"Le numéro de TVA {self.vat_number} ne correspond pas au SIRET {self.siret} "
                f"(SIREN {vat_siren} au lieu de {self.siret[:9]}).",
                f"VAT number {self.vat_number} does not match SIRET {self.siret} "
                f"(SIREN {vat_siren} instead of {self.siret[:9]}).",
            )
        if self.vat_regime == VatRegime.EU and not self.vat_number:
            raise ValidationError(
                "Le régime TVA intracommunautaire exige le numéro de TVA du client.",
                "The intra-EU VAT regime requires the customer's VAT number.",
            )
        if self.is_public_buyer and not self.siret:
            raise ValidationError("Un acheteur public (Chorus Pro) doit avoir un SIRET.",
                                  "A public buyer (Chorus Pro) needs a SIRET.")

    def columns(self) -> dict[str, Any]:
        """The values stored as-is on the `customers` row (relations are resolved apart)."""
        return self.model_dump(exclude={"company_number", "payer_number", "sales_rep_login"})


INPUT_FIELDS = tuple(CustomerInput.model_fields)

#: What a user types for each field: `liasse customers add --<name>` and `liasse customers update
#: <name>=<value>` use the same names (name -> `CustomerInput` field).
PUBLIC_NAMES: dict[str, str] = {
    "type": "type",
    "company": "is_company",
    "company-name": "company_name",
    "company-number": "company_number",
    "title": "title",
    "last-name": "last_name",
    "first-name": "first_name",
    "name-extra": "address_name_extra",
    "street": "address_street",
    "address-extra": "address_extra",
    "postcode": "postcode",
    "city": "city",
    "country": "country",
    "email": "email",
    "mobile": "mobile",
    "phone": "phone",
    "siret": "siret",
    "vat": "vat_number",
    "vat-regime": "vat_regime",
    "payment-term": "payment_term_days",
    "payment-method": "payment_method",
    "discount-subscriptions": "discount_subscriptions_pct",
    "discount-items": "discount_items_pct",
    "ledger-account": "ledger_account",
    "auxiliary-account": "auxiliary_account",
    "iban": "iban",
    "bic": "bic",
    "mandate": "mandate_reference",
    "mandate-signed-on": "mandate_signed_on",
    "payer": "payer_number",
    "public-buyer": "is_public_buyer",
    "service-code": "service_code",
    "invoice-language": "invoice_language",
    "sales-rep": "sales_rep_login",
    "no-sms": "no_sms",
    "no-mailing": "no_mailing",
    "no-emailing": "no_emailing",
    "do-not-share": "do_not_share",
    "notes": "notes",
}


def field_named(name: str) -> str | None:
    """The `CustomerInput` field a user means by `name` (`vat`, `name-extra`; `name_extra` and
    the field's own name `vat_number` are accepted too), or None."""
    key = name.strip().lower()
    field = PUBLIC_NAMES.get(key.replace("_", "-"))
    if field is None and key.replace("-", "_") in INPUT_FIELDS:
        field = key.replace("-", "_")
    return field
