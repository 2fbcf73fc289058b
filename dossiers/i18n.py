"""User-facing language: French by default, English on request.

User-facing text is written in place as a French/English pair (`tr("...", "...")`) rather than
behind message keys, so a reader sees both texts where they are used. The active language is a
context variable: the CLI sets it from `LIASSE_LANGUAGE` or `--lang`, the portal per request,
documents from the customer's invoice language.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

_current: ContextVar[Language] = ContextVar("liasse_language", default="fr")


def set_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    _current.set(language)  # type: ignore[arg-type]


def current_language() -> Language:
    return _current.get()


def tr(fr: str, en: str, language: str | None = None) -> str:
    """Pick the French or English text for the active (or given) language."""
    return en if (language or _current.get()) == "en" else fr
