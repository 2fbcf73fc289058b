"""Postal addresses for paper mail, French norm (AFNOR NF Z10-011, seed 002).

At most 6 lines of at most 38 characters, upper case, no punctuation, no accents, in the norm's
order (company; title and name; name complement; street; address complement / BP / lieu-dit;
postcode and city), empty lines dropped. A foreign address ends with the country's French name in
upper case. A line that is too long is first shortened with the standard abbreviations (AVENUE →
AV, BOULEVARD → BD, SAINT → ST...), never truncated: if it still does not fit, the caller gets a
clear error and fixes the record.

>>> format_address(PostalRecipient(
...     company="Éditions de l'Étoile", title="Madame", name="Hélène Durand-Lefèvre",
...     street="12, rue de l'Église", extra="BP 42", postcode="69002", city="Lyon"))
('EDITIONS DE L ETOILE', 'MME HELENE DURAND LEFEVRE', '12 RUE DE L EGLISE', 'BP 42', '69002 LYON')
>>> format_address(PostalRecipient(
...     name="Jean Dupont", street="25 avenue du Maréchal de Lattre de Tassigny",
...     postcode="94000", city="Créteil"))
('JEAN DUPONT', '25 AV DU MAL DE LATTRE DE TASSIGNY', '94000 CRETEIL')
>>> format_address(PostalRecipient(
...     company="Buchhandlung Müller GmbH", street="Hauptstraße 5", postcode="10115",
...     city="Berlin", country="DE"))
('BUCHHANDLUNG MULLER GMBH', 'HAUPTSTRASSE 5', '10115 BERLIN', 'ALLEMAGNE')
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from documents.errors import DocumentError

MAX_LINES = 6
MAX_CHARS = 38

# Applied in this order, one at a time, only until the line fits (the seed asks for no
# abbreviation unless the line is too long). Whole words only.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("BOULEVARD", "BD"),
    ("AVENUE", "AV"),
    ("FAUBOURG", "FG"),
    ("RESIDENCE", "RES"),
    ("APPARTEMENT", "APP"),
    ("BATIMENT", "BAT"),
    ("ESCALIER", "ESC"),
    ("IMMEUBLE", "IMM"),
    ("LOTISSEMENT", "LOT"),
    ("PROMENADE", "PROM"),
    ("CARREFOUR", "CAR"),
    ("IMPASSE", "IMP"),
    ("QUARTIER", "QUA"),
    ("CHEMIN", "CHE"),
    ("PASSAGE", "PAS"),
    ("SQUARE", "SQ"),
    ("HAMEAU", "HAM"),
    ("ALLEE", "ALL"),
    ("ROUTE", "RTE"),
    ("PLACE", "PL"),
    ("COURS", "CRS"),
    ("MARECHAL", "MAL"),
    ("GENERAL", "GAL"),
    ("PRESIDENT", "PDT"),
    ("PROFESSEUR", "PR"),
    ("DOCTEUR", "DR"),
    ("COMMANDANT", "CDT"),
    ("LIEUTENANT", "LT"),
    ("CAPITAINE", "CAP"),
    ("SAINTE", "STE"),
    ("SAINT", "ST"),
    ("BOITE POSTALE", "BP"),
    ("ZONE INDUSTRIELLE", "ZI"),
    ("ZONE ARTISANALE", "ZA"),
    ("CENTRE COMMERCIAL", "CCAL"),
)
TITLES = {
    "MONSIEUR": "M",
    "MR": "M",
    "MADAME": "MME",
    "MADEMOISELLE": "MLLE",
    "MESSIEURS": "MM",
    "MESDAMES": "MMES",
    "DOCTEUR": "DR",
    "MAITRE": "ME",
}
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "ẞ": "SS"})
_NOT_ALLOWED = re.compile(r"[^A-Z0-9 ]+")


@dataclass(frozen=True)
class PostalRecipient:
    """An address as stored, before normalisation (fields follow the norm's lines)."""

    name: str | None = None  # line 2: first and last name (or contact)
    postcode: str = ""
    city: str = ""
    company: str | None = None  # line 1
    title: str | None = None  # line 2 prefix: Monsieur, Madame...
    name_extra: str | None = None  # line 3: c/o, department, floor, apartment
    street: str | None = None  # line 4: number and street
    extra: str | None = None  # line 5: BP, lieu-dit
    country: str = "FR"  # ISO 3166-1 alpha-2


def normalize(text: str | None) -> str:
    """Upper case, accents and punctuation removed, spaces collapsed.

    >>> normalize("  Saint-Étienne-du-Rouvray, « Cœur » n°3 ")
    'SAINT ETIENNE DU ROUVRAY COEUR N 3'
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(_NOT_ALLOWED.sub(" ", stripped).split())


def abbreviate(line: str, limit: int = MAX_CHARS) -> str:
    """Apply the standard abbreviations one by one until `line` fits in `limit` characters.

    >>> abbreviate("RESIDENCE DU PARC BATIMENT B ESCALIER 3 APPARTEMENT 12")
    'RES DU PARC BAT B ESCALIER 3 APP 12'
    """
    for word, short in ABBREVIATIONS:
        if len(line) <= limit:
            break
        line = re.sub(rf"\b{word}\b", short, line)
    return line


@lru_cache(maxsize=256)
def country_name_fr(code: str) -> str:
    """French name of a country, upper case without accents: 'DE' → 'ALLEMAGNE'."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        raise DocumentError(f"Code pays inconnu : {code}", f"Unknown country code: {code}")
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    name = getattr(country, "common_name", None) or country.name
    return normalize(french.gettext(name))


def _title(title: str | None) -> str:
    text = normalize(title)
    return TITLES.get(text, text)


def format_address(recipient: PostalRecipient) -> tuple[str, ...]:
    """The address lines to print, per NF Z10-011; raises `DocumentError` if it cannot fit."""
    person = " ".join(p for p in (_title(recipient.title), normalize(recipient.name)) if p)
    city_line = " ".join(p for p in (normalize(recipient.postcode), normalize(recipient.city)) if p)
    if not city_line:
        raise DocumentError(
            "Adresse incomplète : code postal et ville manquants.",
            "Incomplete address: postcode and city are missing.",
        )
    candidates = [
        normalize(recipient.company),
        person,
        normalize(recipient.name_extra),
        normalize(recipient.street),
        normalize(recipient.extra),
        city_line,
    ]
    if recipient.country.upper() != "FR":
        candidates.append(country_name_fr(recipient.country))
    lines = tuple(abbreviate(line) for line in candidates if line)
    too_long = [line for line in lines if len(line) > MAX_CHARS]
    if too_long:
        raise DocumentError(
            f"Ligne d'adresse trop longue même abrégée ({len(too_long[0])} > {MAX_CHARS} "
            f"caractères) : « {too_long[0]} ».",
            f"Address line too long even abbreviated ({len(too_long[0])} > {MAX_CHARS} "
            f"characters): '{too_long[0]}'.",
        )
    if len(lines) > MAX_LINES:
        raise DocumentError(
            f"Adresse trop longue : {len(lines)} lignes pour {MAX_LINES} au plus.",
            f"Address too long: {len(lines)} lines, at most {MAX_LINES} allowed.",
        )
    return lines
