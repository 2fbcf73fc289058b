"""Validation at the edge: pydantic field types for our identifiers and one clear error.

Input models (customers, staff) are pydantic models built from these annotated types. Identifier
checks raise our own `IdentifierError` straight through pydantic (it only wraps `ValueError`), so
the user sees exactly which identifier is wrong and why. Every other pydantic complaint (missing
field, too long, out of range) is turned by `parse_input` into one `ValidationError` sentence in
French and English naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
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


def _number(value: Any) -> str:
    """A pydantic limit (Decimal('0'), 100, 0.5) as a person writes it."""
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def _expected(ctx: Mapping[str, Any]) -> tuple[str, str]:
    expected = str(ctx.get("expected", ""))
    return expected.replace(" or ", " ou "), expected


#: Bound errors: pydantic's kind -> (its context key, French words, English words).
_BOUNDS: dict[str, tuple[str, str, str]] = {
    "greater_than_equal": ("ge", "doit être au moins", "must be at least"),
    "greater_than": ("gt", "doit être supérieur à", "must be greater than"),
    "less_than_equal": ("le", "doit être au plus", "must be at most"),
    "less_than": ("lt", "doit être inférieur à", "must be less than"),
    "multiple_of": ("multiple_of", "doit être un multiple de", "must be a multiple of"),
}


def pydantic_reason(error: Mapping[str, Any]) -> tuple[str, str]:
    """What is wrong with one pydantic error (`ValidationError.errors()` entry), as a French
    and an English phrase; never pydantic's own English text in the French one."""
    kind, ctx = str(error["type"]), error.get("ctx") or {}
    if kind == "missing":
        return "champ obligatoire", "required field"
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return f"{n} caractères au plus", f"at most {n} characters"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"{n} élément(s) au plus", f"at most {n} item(s)"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        if n in (None, 1):
            return "ne peut pas être vide", "cannot be empty"
        return f"{n} caractères au moins", f"at least {n} characters"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{n} élément(s) au moins", f"at least {n} item(s)"
    if kind in _BOUNDS:
        key, fr, en = _BOUNDS[kind]
        limit = _number(ctx.get(key))
        return f"{fr} {limit}", f"{en} {limit}"
    if kind in {"enum", "literal_error"}:
        fr, en = _expected(ctx)
        return f"valeur non permise (attendu : {fr})", f"value not allowed (expected {en})"
    if kind == "extra_forbidden":
        return "champ inconnu", "unknown field"
    if kind in {"value_error", "assertion_error"}:
        cause = ctx.get("error")
        fr, en = getattr(cause, "fr", None), getattr(cause, "en", None)
        if fr:
            return str(fr), str(en or fr)
        message = str(cause if cause is not None else error["msg"])
        return f"valeur refusée ({message})", message
    if kind == "decimal_max_digits":
        n = ctx.get("max_digits")
        return f"{n} chiffres au plus", f"at most {n} digits"
    if kind == "decimal_max_places":
        n = ctx.get("decimal_places")
        return f"{n} décimale(s) au plus", f"at most {n} decimal place(s)"
    if kind == "decimal_whole_digits":
        n = ctx.get("whole_digits")
        return f"{n} chiffres au plus avant la virgule", f"at most {n} digits before the point"
    if kind in {"int_from_float", "int_parsing_size"}:
        return "nombre entier attendu", "a whole number is expected"
    if kind.startswith("int_"):
        return "nombre entier attendu", "a whole number is expected"
    if kind.startswith(("decimal_", "float_", "finite_number")):
        return "nombre attendu", "a number is expected"
    if kind.startswith("datetime"):
        return ("date et heure invalides (AAAA-MM-JJTHH:MM attendu)",
                "invalid date and time (YYYY-MM-DDTHH:MM expected)")
    if kind.startswith("date"):
        return "date invalide (AAAA-MM-JJ attendu)", "invalid date (YYYY-MM-DD expected)"
    if kind.startswith("time"):
        return "heure invalide (HH:MM attendu)", "invalid time (HH:MM expected)"
    if kind.startswith("bool"):
        return "oui/non attendu (true/false)", "yes/no expected (true/false)"
    if kind == "string_pattern_mismatch":
        return "format incorrect", "wrong format"
    if kind in {"string_type", "string_unicode", "string_sub_type"}:
        return "texte attendu", "text expected"
    if kind in {"list_type", "tuple_type", "set_type", "iterable_type"}:
        return "liste attendue", "a list is expected"
    if kind in {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}:
        return "objet attendu (clé: valeur)", "an object (key: value) is expected"
    if kind.startswith("url"):
        return "adresse web invalide", "invalid URL"
    if kind.startswith("uuid"):
        return "identifiant UUID invalide", "invalid UUID"
    if kind.startswith("json"):
        return "JSON invalide", "invalid JSON"
    if kind.startswith("path") or kind.startswith("file"):
        return "chemin invalide", "invalid path"
    if kind in {"none_required"}:
        return "doit être vide", "must be empty"
    if kind.startswith("union") or kind == "is_instance_of":
        return "type de valeur incorrect", "wrong kind of value"
    return "valeur incorrecte", str(error["msg"])


_reason = pydantic_reason


def field_label(name: str) -> tuple[str, str]:
    """The French and English name of a field a user types (its own name when unknown)."""
    return FIELD_LABELS.get(name, (name, name))


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


def parse_due(text: str) -> datetime:
    """A due date typed by a person: `YYYY-MM-DD` (the end of that day, UTC) or an ISO
    date-time (UTC when it names no zone). One parser for the CLI and the portal.

    >>> parse_due("2026-12-31").isoformat()
    '2026-12-31T23:59:59+00:00'
    """
    raw = (text or "").strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"Date limite invalide « {raw} » (attendu AAAA-MM-JJ).",
                              f"Invalid due date '{raw}' (expected YYYY-MM-DD).") from None
    if len(raw) == 10:
        value = datetime.combine(value.date(), time(23, 59, 59))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
