"""Jinja2 templates → HTML → PDF/A-3b with WeasyPrint.

One template per document, with its French and English strings side by side (`t("Facture",
"Invoice")`), so a wording change is made once for both languages. Templates are package data
under `documents/templates/`, autoescaped, with `StrictUndefined`: a field the template needs but
the caller did not give is an error, never a blank on a legal document.

The PDF is PDF/A-3b (archivable, and the base Factur-X needs). Fonts are the DejaVu TrueType files
from Debian's `fonts-dejavu-core`, declared with `@font-face` so they are embedded; only `file:`
and `data:` URLs may be fetched, so rendering never touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from documents.errors import DocumentError
from documents.profile import CompanyProfile

PDF_VARIANT = "pdf/a-3b"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    ("Liasse Sans", "normal", "normal"): "DejaVuSans.ttf",
    ("Liasse Sans", "bold", "normal"): "DejaVuSans-Bold.ttf",
    ("Liasse Sans", "normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("Liasse Mono", "normal", "normal"): "DejaVuSansMono.ttf",  # labels: fixed 38-char width
}
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def templates_dir() -> Path:
    return Path(str(resources.files("documents") / "templates"))


def format_money(value: Decimal | int | None, language: str = "fr", currency: str = "EUR") -> str:
    """'1 234,50 €' in French, '€1,234.50' in English.

    >>> format_money(Decimal("1234.5"))
    '1\\u202f234,50\\xa0€'
    >>> format_money(Decimal("-7.96"), "en")
    '-€7.96'
    """
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    text = f"{abs(amount):,.2f}"
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency)
    sign = "-" if amount < 0 else ""
    if language == "en":
        return f"{sign}{symbol}{text}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return f"{sign}{text}\xa0{symbol}"


def format_number(value: Decimal | int | None, language: str = "fr") -> str:
    """Quantities and rates without trailing zeros: '5,5' / '5.5', '2' / '2'."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text if language == "en" else text.replace(".", ",")


def format_date(value: date | None, language: str = "fr", long: bool = False) -> str:
    """'02/03/2026' or '2 mars 2026' in French; '2026-03-02' or '2 March 2026' in English."""
    if value is None:
        return ""
    if long:
        months = MONTHS_EN if language == "en" else MONTHS_FR
        return f"{value.day} {months[value.month - 1]} {value.year}"
    return value.isoformat() if language == "en" else value.strftime("%d/%m/%Y")


def font_faces() -> Markup:
    """`@font-face` rules embedding the DejaVu files (fallback: fontconfig's DejaVu).

    Returned as `Markup`: it is inserted in a `<style>` element, where HTML escaping would
    corrupt the quotes."""
    rules = []
    for (family, weight, style), filename in FONT_FILES.items():
        path = FONT_DIR / filename
        if path.exists():
            rules.append(
                f"@font-face {{ font-family: '{family}'; "
                f"src: url('{path.as_uri()}'); font-weight: {weight}; font-style: {style}; }}"
            )
    return Markup("\n".join(rules))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["font_faces"] = font_faces
    return env


def _translator(language: str) -> Callable[[str, str], str]:
    def t(fr: str, en: str) -> str:
        return en if language == "en" else fr

    return t


def render_html(
    template: str, context: Mapping[str, Any], *, profile: CompanyProfile, language: str = "fr"
) -> str:
    """Render one document template to HTML in the given language."""
    if language not in ("fr", "en"):
        raise DocumentError(
            f"Langue de document inconnue : {language}", f"Unknown document language: {language}"
        )
    values = {
        "t": _translator(language),
        "lang": language,
        "profile": profile,
        "logo": profile.logo_data_uri(),
        "money": partial(format_money, language=language),
        "number": partial(format_number, language=language),
        "day": partial(format_date, language=language),
        "long_day": partial(format_date, language=language, long=True),
        **context,
    }
    try:
        return environment().get_template(template).render(values)
    except jinja2.UndefinedError as exc:
        raise DocumentError(
            f"Champ manquant pour le document {template} : {exc.message}",
            f"Missing field for document {template}: {exc.message}",
        ) from exc


def html_to_pdf(html: str, *, variant: str | None = PDF_VARIANT) -> bytes:
    """PDF bytes (PDF/A-3b by default) from HTML; only local files and data URIs are loaded."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    document = HTML(string=html, base_url=str(templates_dir()) + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=variant)


def render_pdf(
    template: str, context: Mapping[str, Any], *, profile: CompanyProfile, language: str = "fr"
) -> bytes:
    return html_to_pdf(render_html(template, context, profile=profile, language=language))
