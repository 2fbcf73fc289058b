"""Object keys and metadata values both backends accept unchanged.

S3 user metadata travels in HTTP headers (ASCII only) and the local folder maps keys to paths, so
keys are restricted to a portable alphabet and checked once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dossiers.errors import ValidationError

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def check_key(key: str) -> str:
    if len(key) > 500 or not _KEY.match(key):
        raise ValidationError(
            f"Clé d'archive invalide : « {key} » (lettres, chiffres, . _ - et / seulement).",
            f"Invalid archive key: '{key}' (letters, digits, . _ - and / only).",
        )
    return key


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in metadata.items():
        if not (name.isascii() and value.isascii() and value.isprintable()):
            raise ValidationError(
                f"Métadonnée d'archive non ASCII : {name}={value!r}.",
                f"Non-ASCII archive metadata: {name}={value!r}.",
            )
        clean[name.lower()] = value
    return clean
