"""Customer numbers: ``C`` + 6 digits, handed out in order with no gaps.

The counter row is locked by the creating transaction (`FOR UPDATE` on PostgreSQL; SQLite
transactions are already `BEGIN IMMEDIATE`), so concurrent creations queue up and a rolled-back
creation gives its number back.

>>> format_customer_number(123)
'C000123'
>>> normalise_customer_number(" c123 ")
'C000123'
>>> normalise_customer_number("C000042")
'C000042'
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dossiers.customers.models import CustomerNumberCounter
from dossiers.db import for_update

PREFIX = "C"
WIDTH = 6


def format_customer_number(value: int) -> str:
    return f"{PREFIX}{value:0{WIDTH}d}"


def normalise_customer_number(text: str) -> str:
    """Accept what people type ("123", "c123", "C000123") and return the stored form."""
    cleaned = text.strip().upper()
    digits = cleaned[len(PREFIX):] if cleaned.startswith(PREFIX) else cleaned
    return format_customer_number(int(digits)) if digits.isdigit() else cleaned


def allocate_customer_number(session: Session) -> str:
    query = select(CustomerNumberCounter).where(CustomerNumberCounter.id == 1)
    if for_update(session):
        query = query.with_for_update()
    counter = session.scalars(query).one_or_none()
    if counter is None:
        # First number ever: two creators may race to insert the row; the loser's savepoint
        # rolls back and it then waits on the winner's row lock like everyone else.
        try:
            with session.begin_nested():
                session.add(CustomerNumberCounter(id=1, last_value=0))
        except IntegrityError:
            pass
        counter = session.scalars(query).one()
    counter.last_value += 1
    session.flush()
    return format_customer_number(counter.last_value)
