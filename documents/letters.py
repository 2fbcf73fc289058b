"""Form letters (lettres types) with merge fields from the customer record (seed 002).

A letter body is written by staff with placeholders such as `{{ customer.last_name }}`. The body
is compiled in Jinja's sandbox (staff-written text must not reach Python internals), every
`customer.<field>` it uses is checked against the record before rendering, and all the missing or
empty fields are reported at once: a letter is never printed with a hole in it. The letter itself
(sender, window address, date, subject, body paragraphs) is the `letter.html` template.

>>> merge_body("Bonjour {{ customer.first_name }},", {"first_name": "Zoé"})
'Bonjour Zoé,'
>>> merge_body("Cher {{ customer.nickname }}", {"first_name": "Zoé"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
documents.errors.DocumentError: Champ(s) de fusion ... : customer.nickname
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from documents.errors import DocumentError
from documents.postal_address import PostalRecipient, format_address
from documents.profile import CompanyProfile
from documents.rendering import render_pdf

RECORD_NAME = "customer"


@lru_cache(maxsize=1)
def _sandbox() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=False, undefined=jinja2.StrictUndefined)


def _value(record: Any, field: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(field)
    return getattr(record, field, None)


def merge_fields(body: str) -> list[str]:
    """The `customer.<field>` names a body uses, in order of first appearance.

    >>> merge_fields("{{ customer.title }} {{ customer.last_name }}, {{ customer.title }}")
    ['title', 'last_name']
    """
    try:
        tree = _sandbox().parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise DocumentError(
            f"Modèle de lettre invalide (ligne {exc.lineno}) : {exc.message}",
            f"Invalid letter template (line {exc.lineno}): {exc.message}",
        ) from exc
    fields: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == RECORD_NAME:
            name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", "")
            if name and name not in fields:
                fields.append(str(name))
    return fields


def merge_body(body: str, customer: Any, **extra: Any) -> str:
    """Fill the placeholders of `body` from the customer record (mapping or object)."""
    fields = merge_fields(body)
    private = [f for f in fields if f.startswith("_")]
    if private:
        raise DocumentError(
            f"Expression interdite dans le modèle de lettre : customer.{private[0]}",
            f"Forbidden expression in the letter template: customer.{private[0]}",
        )
    missing = [
        f"{RECORD_NAME}.{field}"
        for field in fields
        if _value(customer, field) in (None, "")
    ]
    if missing:
        listed = ", ".join(missing)
        raise DocumentError(
            f"Champ(s) de fusion absent(s) ou vide(s) dans la fiche client : {listed}",
            f"Merge field(s) missing or empty in the customer record: {listed}",
        )
    try:
        return _sandbox().from_string(body).render({RECORD_NAME: customer, **extra})
    except jinja2.UndefinedError as exc:
        raise DocumentError(
            f"Champ de fusion inconnu : {exc.message}", f"Unknown merge field: {exc.message}"
        ) from exc
    except jinja2.exceptions.SecurityError as exc:
        raise DocumentError(
            f"Expression interdite dans le modèle de lettre : {exc}",
            f"Forbidden expression in the letter template: {exc}",
        ) from exc


@dataclass(frozen=True)
class FormLetter:
    """A named letter template as staff save it (name, subject and body with merge fields)."""

    name: str
    subject: str
    body: str


def render_letter(
    letter: FormLetter,
    customer: Any,
    recipient: PostalRecipient,
    profile: CompanyProfile,
    *,
    on: date,
    language: str = "fr",
) -> bytes:
    """PDF of one form letter for one customer; the merged text is escaped in the page."""
    subject = merge_body(letter.subject, customer)
    body = merge_body(letter.body, customer)
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    context = {
        "letter": letter,
        "subject": subject,
        "paragraphs": paragraphs,
        "address": format_address(recipient),
        "letter_date": on,
    }
    return render_pdf("letter.html", context, profile=profile, language=language)
