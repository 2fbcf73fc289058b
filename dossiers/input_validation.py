"""Validation at the edge: pydantic field types for our identifiers and one clear error.

Input models (customers, staff) are pydantic models built from these annotated types. Identifier
checks raise our own `IdentifierError` straight through pydantic (it only wraps `ValueError`), so
the user sees exactly which identifier is wrong and why. Every other pydantic complaint (missing
field, too long, out of range) is turned by `parse_input` into one `ValidationError` sentence in
French and English naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from dossiers import identifiers
from dossiers.errors import ValidationError

Model = TypeVar("Model", bound=pydantic.BaseModel)

# French / English names of the fields a user types, for error messages.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "type": ("type de client", "customer type"),
    "state": ("état", "state"),
    "company_name": ("société (ligne 1)", "company (line 1)"),
    "title": ("civilité", "title"),
    "last_name": ("nom", "last name"),
    "first_name": ("prénom", "first name"),
    "address_name_extra": ("complément de nom (ligne 3)", "name complement (line 3)"),
    "address_street": ("adresse (ligne 4)", "street (line 4)"),
    "address_extra": ("complément d'adresse (ligne 5)", "address complement (line 5)"),
    "recipient": ("destinataire (ligne 2)", "recipient (line 2)"),
    "name_extra": ("complément de nom (ligne 3)", "name complement (line 3)"),
    "street": ("adresse (ligne 4)", "street (line 4)"),
    "postcode": ("code postal", "postcode"),
    "city": ("ville", "city"),
    "country": ("pays", "country"),
    "email": ("e-mail", "e-mail"),
    "payment_term_days": ("échéance (jours)", "payment term (days)"),
    "discount_subscriptions_pct": ("remise abonnements (%)", "subscription discount (%)"),
    "discount_items_pct": ("remise factures (%)", "invoice discount (%)"),
    "sales_rep_login": ("commercial", "sales rep"),
    "payer_number": ("tiers payant", "third-party payer"),
    "login": ("identifiant", "login"),
    "full_name": ("nom complet", "full name"),
    "roles": ("rôles", "roles"),
    "role": ("rôle", "role"),
    "subject": ("objet", "subject"),
    "kind": ("type", "kind"),
    "is_company": ("société (case)", "company (flag)"),
    "company_number": ("société de rattachement", "parent company"),
    "mobile": ("mobile", "mobile"),
    "phone": ("téléphone", "phone"),
    "siret": ("SIRET", "SIRET"),
    "vat_number": ("TVA intracommunautaire", "intra-EU VAT number"),
    "invoice_language": ("langue de facture", "invoice language"),
    "vat_regime": ("affiliation TVA", "VAT regime"),
    "payment_method": ("mode de paiement", "payment method"),
    "ledger_account": ("compte général", "ledger account"),
    "auxiliary_account": ("compte auxiliaire", "auxiliary account"),
    "iban": ("IBAN", "IBAN"),
    "bic": ("BIC", "BIC"),
    "mandate_reference": ("RUM", "mandate reference"),
    "mandate_signed_on": ("date de signature du mandat", "mandate signature date"),
    "is_public_buyer": ("acheteur public", "public buyer"),
    "service_code": ("code service", "service code"),
    "notes": ("notes", "notes"),
    "valid_from": ("début de validité", "valid from"),
    "valid_until": ("fin de validité", "valid until"),
    "title_code": ("titre", "title code"),
    "author_login": ("auteur", "author"),
    "copy_to_login": ("copie à", "copy to"),
    "comment": ("commentaire", "comment"),
    "reminder_on": ("date de rappel", "reminder date"),
    "team": ("équipe", "team"),
}


def _label(loc: tuple[int | str, ...]) -> tuple[str, str]:
    name = str(loc[0]) if loc else "?"
    return FIELD_LABELS.get(name, (name, name))


def _reason(error: Mapping[str, Any]) -> tuple[str, str]:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "champ obligatoire", "required field"
    if kind in {"string_too_long", "too_long"}:
        n = ctx.get("max_length")
        return f"{n} caractères au plus", f"at most {n} characters"
    if kind in {"string_too_short", "too_short"}:
        return "ne peut pas être vide", "cannot be empty"
    if kind in {"greater_than_equal", "greater_than"}:
        limit = ctx.get("ge", ctx.get("gt"))
        return f"doit être au moins {limit}", f"must be at least {limit}"
    if kind in {"less_than_equal", "less_than"}:
        limit = ctx.get("le", ctx.get("lt"))
        return f"doit être au plus {limit}", f"must be at most {limit}"
    if kind in {"enum", "literal_error"}:
        expected = ctx.get("expected", "")
        return f"valeur non permise (attendu : {expected})", f"value not allowed ({expected})"
    if kind == "extra_forbidden":
        return "champ inconnu", "unknown field"
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        return message, message
    if kind.startswith("date"):
        return "date invalide (AAAA-MM-JJ attendu)", "invalid date (YYYY-MM-DD expected)"
    if kind.startswith(("int_", "decimal_", "float_")):
        return "nombre attendu", "a number is expected"
    if kind.startswith("bool"):
        return "oui/non attendu", "yes/no expected"
    if kind == "string_pattern_mismatch":
        return "format incorrect", "wrong format"
    return "valeur incorrecte", str(error["msg"])


def parse_input(model: type[Model], data: Mapping[str, Any]) -> Model:
    """Validate `data` into `model`, or raise one `ValidationError` naming the first bad field."""
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        (field_fr, field_en), (why_fr, why_en) = _label(first["loc"]), _reason(first)
        more_fr = f" (et {len(errors) - 1} autre(s) erreur(s))" if len(errors) > 1 else ""
        more_en = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        raise ValidationError(
            f"Champ « {field_fr} » : {why_fr}{more_fr}.",
            f"Field '{field_en}': {why_en}{more_en}.",
        ) from None


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# Optional text: blank means "not given".
Blank = BeforeValidator(_blank_to_none)


def _plain_text(value: Any, info: pydantic.ValidationInfo) -> Any:
    """Names and other typed text: no control or bidirectional formatting character."""
    if not isinstance(value, str):
        return value
    field = info.field_name or "?"
    return identifiers.validate_plain_text(value, field=field,
                                           label=FIELD_LABELS.get(field, (field, field)))


# Typed text (names, address lines, labels): refuses control and bidi override characters.
PlainText = AfterValidator(_plain_text)


def OptText(max_length: int) -> Any:
    """Optional text of at most `max_length` characters (blank counts as not given), without
    control or bidirectional formatting characters."""
    text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]
    return Annotated[text | None, Blank, PlainText]


Text38 = OptText(38)


def checked(validator: Any) -> Any:
    """An optional text field checked by an identifier validator when present."""
    check = AfterValidator(lambda v: None if v is None else validator(v))
    return Annotated[str | None, Blank, check]


Siret = checked(identifiers.validate_siret)
VatNumber = checked(identifiers.validate_vat)
Iban = checked(identifiers.validate_iban)
Bic = checked(identifiers.validate_bic)
MandateReference = checked(identifiers.validate_mandate_reference)
Email = checked(identifiers.validate_email)
Mobile = checked(identifiers.validate_mobile)
Phone = checked(identifiers.validate_phone)
