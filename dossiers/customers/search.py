"""Quick search (seed 002 "Recherche rapide"), identical on SQLite and PostgreSQL.

Names, company, city and "all fields" are matched against folded copies stored on the row
(`normalise.search_fields`), with the query folded the same way: case and accents never matter
and no database extension (unaccent, ICU collations) is needed. LIKE wildcards typed by the user
are escaped.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from dossiers.customers.access import visibility_condition
from dossiers.customers.models import Customer, CustomerSelection, SelectionCode
from dossiers.customers.normalise import normalise
from dossiers.customers.numbering import normalise_customer_number
from dossiers.errors import ValidationError
from dossiers.staff.models import StaffUser


class SearchField(enum.StrEnum):
    ALL = "all"
    NUMBER = "number"
    NAME = "name"
    COMPANY = "company"
    POSTCODE = "postcode"
    CITY = "city"
    SELECTION = "selection"


_FULL_NUMBER = re.compile(r"^C\d{6}$")


def _selection_condition(value: str) -> Select[tuple[int]]:
    """"CODE=value" matches that code with a value containing `value`; a bare word matches a
    code name exactly or any value containing it."""
    query = select(CustomerSelection.customer_id).join(SelectionCode)
    if "=" in value:
        code, _, wanted = value.partition("=")
        query = query.where(SelectionCode.code == code.strip().upper())
        if wanted.strip():
            query = query.where(
                CustomerSelection.value_search.contains(normalise(wanted), autoescape=True))
        return query
    return query.where(or_(
        SelectionCode.code == value.strip().upper(),
        CustomerSelection.value_search.contains(normalise(value), autoescape=True),
    ))


def search_query(field: SearchField | str, value: str) -> Select[tuple[Customer]]:
    try:
        field = SearchField(field)
    except ValueError:
        allowed = ", ".join(f.value for f in SearchField)
        raise ValidationError(f"Critère de recherche inconnu : {field} (choix : {allowed}).",
                              f"Unknown search field: {field} (choices: {allowed}).") from None
    if not value.strip():
        raise ValidationError("Saisissez une valeur à rechercher.", "Enter a value to search.")
    folded = normalise(value)
    query = select(Customer)
    if field == SearchField.NUMBER:
        wanted = normalise_customer_number(value)
        if _FULL_NUMBER.match(wanted):
            return query.where(Customer.number == wanted)
        return query.where(Customer.number.contains(value.strip().upper(), autoescape=True))
    if field == SearchField.POSTCODE:
        compact = value.replace(" ", "").upper()
        return query.where(Customer.postcode.startswith(compact, autoescape=True))
    if field == SearchField.SELECTION:
        return query.where(Customer.id.in_(_selection_condition(value)))
    if field == SearchField.NAME:
        # "Hélène Lefèvre" and "Lefèvre Hélène" both find her: every word must appear.
        return query.where(*(Customer.search_name.contains(word, autoescape=True)
                             for word in folded.split()))
    column = {
        SearchField.ALL: Customer.search_all,
        SearchField.COMPANY: Customer.search_company,
        SearchField.CITY: Customer.search_city,
    }[field]
    return query.where(column.contains(folded, autoescape=True))


def quick_search(
    session: Session,
    field: SearchField | str,
    value: str,
    *,
    staff_user: StaffUser | None = None,
    limit: int | None = 500,
) -> Sequence[Customer]:
    """Customers matching `value` on `field`, by number; only those `staff_user` may see."""
    query = search_query(field, value)
    if staff_user is not None:
        query = query.where(visibility_condition(session, staff_user))
    query = query.order_by(Customer.number)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).unique().all()
