"""Numbering: per series, yearly reset, chronology, and a rollback never burns a number."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import transaction
from dossiers.errors import ConflictError, ValidationError
from dossiers.invoicing.models import Invoice
from dossiers.invoicing.numbering import configure_series, take_number

LINE = {"description": "Abonnement", "quantity": "1", "unit_price": "10"}


def test_consecutive_numbers_and_yearly_reset(issue, make_customer) -> None:
    c = make_customer()
    numbers = [issue(customer=c.number, lines=[LINE], issue_date=d).number
               for d in (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 2),
                         date(2026, 1, 2))]
    assert numbers == ["F2025-00001", "F2025-00002", "F2026-00001", "F2026-00002"]


def test_chronology_is_enforced(issue, make_customer) -> None:
    c = make_customer()
    issue(customer=c.number, lines=[LINE], issue_date=date(2026, 3, 10))
    with pytest.raises(ValidationError, match="chronologique"):
        issue(customer=c.number, lines=[LINE], issue_date=date(2026, 3, 9))
    with pytest.raises(ValidationError, match="chronologique"):  # across the yearly reset too
        issue(customer=c.number, lines=[LINE], issue_date=date(2025, 12, 31))
    assert issue(customer=c.number, lines=[LINE], issue_date=date(2026, 3, 10)).number == (
        "F2026-00002")


def test_rollback_after_taking_a_number_burns_nothing(
    db: sessionmaker[Session], issue, make_customer
) -> None:
    c = make_customer()
    issue(customer=c.number, lines=[LINE])
    with pytest.raises(RuntimeError), transaction(db) as s:
        assert take_number(s, "invoice", date(2026, 3, 2)) == "F2026-00002"
        raise RuntimeError("crash after numbering")
    assert issue(customer=c.number, lines=[LINE]).number == "F2026-00002"


def test_configured_prefix_and_no_reset(db: sessionmaker[Session], issue, make_customer) -> None:
    with transaction(db) as s:
        configure_series(s, "invoice", "FAC-{year}/", yearly_reset=False, digits=6)
    c = make_customer()
    first = issue(customer=c.number, lines=[LINE], issue_date=date(2025, 12, 31)).number
    second = issue(customer=c.number, lines=[LINE], issue_date=date(2026, 1, 1)).number
    assert (first, second) == ("FAC-2025/000001", "FAC-2026/000002")
    with pytest.raises(ConflictError), transaction(db) as s:
        configure_series(s, "invoice", "X{year}-")
    with pytest.raises(ValidationError), transaction(db) as s:
        configure_series(s, "credit_note", "X{month}-")


def test_unknown_series_is_refused(issue, make_customer, db) -> None:
    with pytest.raises(ValidationError, match="Série"):
        issue(customer=make_customer().number, lines=[LINE], series="nope")
    with db() as s:
        assert s.scalars(select(Invoice)).all() == []
