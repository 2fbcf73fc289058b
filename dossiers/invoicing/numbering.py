"""Gapless, chronological invoice numbers per series.

French law wants one unbroken chronological sequence per series. The number is taken inside
the transaction that records the issued invoice: the counter row (series, year) is locked with
`SELECT … FOR UPDATE` on PostgreSQL (SQLite transactions are `BEGIN IMMEDIATE`, which
serialises writers the same way), so concurrent issuers queue on it, and a rollback or a crash
of the issuing process gives the number back with everything else.

Lock order matters to avoid deadlocks: take every number a transaction needs *before* appending
audit events (the audit chain head is another single-row lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dossiers.db import for_update
from dossiers.errors import ConflictError, ValidationError
from dossiers.invoicing.models import InvoiceCounter, InvoiceSeries


@dataclass(frozen=True)
class SeriesDefault:
    prefix: str
    yearly_reset: bool = True
    digits: int = 5


DEFAULT_SERIES = {
    "invoice": SeriesDefault("F{year}-"),
    "credit_note": SeriesDefault("AV{year}-"),
}


def _insert_ignore(session: Session, table: type, values: dict[str, object]) -> None:
    """Create a row unless it exists, without failing when a concurrent transaction races us."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).values(**values).on_conflict_do_nothing())


def get_series(session: Session, code: str) -> InvoiceSeries:
    series = session.get(InvoiceSeries, code)
    if series is None:
        default = DEFAULT_SERIES.get(code)
        if default is None:
            raise ValidationError(
                f"Série de numérotation inconnue « {code} ».", f"Unknown numbering series '{code}'."
            )
        _insert_ignore(session, InvoiceSeries, {
            "code": code, "prefix": default.prefix, "yearly_reset": default.yearly_reset,
            "digits": default.digits,
        })
        series = session.get(InvoiceSeries, code)
        assert series is not None
    return series


def configure_series(
    session: Session, code: str, prefix: str, *, yearly_reset: bool = True, digits: int = 5
) -> InvoiceSeries:
    """Set a series' format; refused once it has handed out a number (the sequence must stay
    one unbroken format)."""
    if "{" in prefix.replace("{year}", ""):
        raise ValidationError(
            "Le préfixe ne peut contenir que la variable {year}.",
            "The prefix may only contain the {year} placeholder.",
        )
    if not 1 <= digits <= 10:
        raise ValidationError("Le nombre de chiffres doit être entre 1 et 10.",
                              "Digits must be between 1 and 10.")
    used = session.scalar(
        select(func.count()).select_from(InvoiceCounter).where(
            InvoiceCounter.series == code, InvoiceCounter.last_number > 0
        )
    )
    if used:
        raise ConflictError(
            f"La série « {code} » a déjà attribué des numéros ; son format ne peut plus changer.",
            f"Series '{code}' has already issued numbers; its format can no longer change.",
        )
    series = session.get(InvoiceSeries, code) or InvoiceSeries(code=code)
    series.prefix, series.yearly_reset, series.digits = prefix, yearly_reset, digits
    session.add(series)
    session.flush()
    return series


def format_number(series: InvoiceSeries, year: int, counter: int) -> str:
    return f"{series.prefix.format(year=year)}{counter:0{series.digits}d}"


def take_number(session: Session, series_code: str, issue_date: date) -> str:
    """Lock the series counter, check chronology and return the next number.

    Must run in the transaction that stores the issued invoice; the lock is held until commit.
    """
    series = get_series(session, series_code)
    year = issue_date.year if series.yearly_reset else 0
    query = select(InvoiceCounter).where(
        InvoiceCounter.series == series_code, InvoiceCounter.year == year
    ).execution_options(populate_existing=True)
    if for_update(session):
        query = query.with_for_update()
    counter = session.scalars(query).one_or_none()
    if counter is None:  # first number of the year: create the row, racing safely
        _insert_ignore(session, InvoiceCounter,
                       {"series": series_code, "year": year, "last_number": 0})
        counter = session.scalars(query).one()
    latest = session.scalar(
        select(func.max(InvoiceCounter.last_issue_date)).where(InvoiceCounter.series == series_code)
    )
    if latest is not None and issue_date < latest:
        raise ValidationError(
            f"Date d'émission {issue_date:%d/%m/%Y} antérieure à la dernière facture de la série "
            f"« {series_code} » ({latest:%d/%m/%Y}) : la numérotation doit rester chronologique.",
            f"Issue date {issue_date} is earlier than the last invoice of series '{series_code}' "
            f"({latest}); numbering must stay chronological.",
        )
    counter.last_number += 1
    counter.last_issue_date = issue_date
    session.flush()
    return format_number(series, issue_date.year, counter.last_number)
