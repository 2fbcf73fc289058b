"""VAT categories (UNCL5305) and the rates and exemption reasons each one allows.

EN 16931 ties every amount to a (category, rate) pair; France adds the list of rates it accepts
(BR-FR-16). Keeping the rules in one table means the input validation, the totals and the
Factur-X adapter agree on what an "exempt" or "reverse charge" line is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from dossiers.errors import ValidationError
from dossiers.invoicing.totals import normal_rate


class VatCategory(enum.StrEnum):
    STANDARD = "S"  # standard and reduced French rates
    ZERO = "Z"  # zero-rated goods (BR-Z-10: no exemption reason)
    EXEMPT = "E"  # exempt: the reason (article of the CGI) is mandatory
    REVERSE_CHARGE = "AE"  # the buyer accounts for the VAT (autoliquidation)
    INTRA_EU = "K"  # intra-community supply of goods, exempt in France
    EXPORT = "G"  # export outside the EU, exempt (article 262 I du CGI)
    OUTSIDE_SCOPE = "O"  # not subject to VAT


#: Rates allowed per category, in percent. France: 20 standard, 10 / 5.5 / 2.1 reduced.
ALLOWED_RATES: dict[VatCategory, frozenset[Decimal]] = {
    VatCategory.STANDARD: frozenset(Decimal(r) for r in ("20", "10", "5.5", "2.1")),
    **{c: frozenset({Decimal(0)}) for c in VatCategory if c is not VatCategory.STANDARD},
}


@dataclass(frozen=True)
class Exemption:
    """Default VATEX code and bilingual wording printed for a zero-VAT category."""

    code: str
    fr: str
    en: str


#: Categories whose breakdown must carry an exemption reason (BR-E-10, BR-AE-10, BR-IC-10,
#: BR-G-10, BR-O-10). `None`: no default, the caller must give the reason (which exemption
#: applies).
EXEMPTION_REQUIRED: dict[VatCategory, Exemption | None] = {
    VatCategory.EXEMPT: None,
    VatCategory.REVERSE_CHARGE: Exemption(
        "VATEX-EU-AE", "Autoliquidation", "Reverse charge"
    ),
    VatCategory.INTRA_EU: Exemption(
        "VATEX-EU-IC",
        "Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire)",
        "Intra-community supply exempt from VAT (Art. 138 Directive 2006/112/EC)",
    ),
    VatCategory.EXPORT: Exemption(
        "VATEX-EU-G",
        "Exonération de TVA, article 262 I du CGI",
        "Export outside the EU exempt from VAT (Art. 146 Directive 2006/112/EC)",
    ),
    VatCategory.OUTSIDE_SCOPE: Exemption("VATEX-EU-O", "Non soumis à la TVA", "Not subject to VAT"),
}

#: EU member states' ISO codes as used by VAT numbers' country prefixes (Greece is "EL").
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})


def parse_category(code: str, where: str = "") -> VatCategory:
    try:
        return VatCategory(code.strip().upper())
    except ValueError:
        allowed = ", ".join(c.value for c in VatCategory)
        raise ValidationError(
            f"Catégorie de TVA inconnue « {code} »{where} ; valeurs possibles : {allowed}.",
            f"Unknown VAT category '{code}'{where}; allowed: {allowed}.",
        ) from None


def check_rate(category: VatCategory, rate: Decimal, where: str = "") -> Decimal:
    """Return the rate normalised (20.00 -> 20) or raise if the category does not allow it."""
    normal = normal_rate(rate)
    if normal not in ALLOWED_RATES[category]:
        allowed = " / ".join(str(r) for r in sorted(ALLOWED_RATES[category]))
        raise ValidationError(
            f"Taux de TVA {rate} % non autorisé pour la catégorie {category.value}{where} "
            f"(taux possibles : {allowed} %).",
            f"VAT rate {rate}% is not allowed for category {category.value}{where} "
            f"(allowed: {allowed}%).",
        )
    return normal


def exemption_for(
    category: VatCategory, code: str | None, reason: str | None, language: str, where: str = ""
) -> tuple[str | None, str | None]:
    """The (VATEX code, reason text) a line of this category carries; raise if one is missing."""
    if category in (VatCategory.STANDARD, VatCategory.ZERO):
        if code or reason:
            raise ValidationError(
                f"La catégorie de TVA {category.value} ne prend pas de motif d'exonération{where}.",
                f"VAT category {category.value} takes no exemption reason{where}.",
            )
        return None, None
    default = EXEMPTION_REQUIRED[category]
    if default is None and not (code or reason):
        raise ValidationError(
            f"Une ligne exonérée de TVA (catégorie E) doit indiquer le motif d'exonération{where} "
            "(par exemple « Exonération de TVA, article 261 du CGI »).",
            f"A VAT-exempt line (category E) must state the exemption reason{where}.",
        )
    if default is None:
        return code, reason
    text = default.en if language == "en" else default.fr
    return code or default.code, reason or text


def vat_country(vat_number: str) -> str:
    """ISO country of an EU VAT number ("EL" for Greece becomes "GR")."""
    prefix = vat_number[:2].upper()
    return "GR" if prefix == "EL" else prefix
