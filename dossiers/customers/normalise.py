"""Text folding for quick search: lower case, no accents, single spaces.

SQLite's LIKE ignores case only for ASCII and PostgreSQL's is case-sensitive; neither ignores
accents without extensions. Folding both the stored copy and the query the same way in Python
makes "Hélène" match "HELENE" identically on both databases.

>>> normalise("  Hélène   MÜLLER-Straße ")
'helene muller-strasse'
>>> normalise("Œuvres complètes")
'oeuvres completes'
>>> normalise(None)
''
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Ligatures that Unicode decomposition leaves alone but French readers type as two letters.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def normalise(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def search_fields(customer: Any) -> dict[str, str]:
    """The folded search columns of a customer (names, company, city, and everything).

    "All fields" covers names, company, the address lines, e-mail, city and number; each part is
    separated by " | " so a search cannot match across two fields by accident.
    """
    name = normalise(_join(customer.last_name, customer.first_name))
    everything = [
        customer.number,
        customer.company_name,
        customer.title,
        customer.last_name,
        customer.first_name,
        customer.address_name_extra,
        customer.address_street,
        customer.address_extra,
        customer.postcode,
        customer.city,
        customer.email,
    ]
    return {
        "search_name": name[:250],
        "search_company": normalise(customer.company_name)[:250],
        "search_city": normalise(customer.city)[:60],
        "search_all": " | ".join(normalise(p) for p in everything if p),
    }
