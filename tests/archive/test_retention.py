"""Retention classes and retain-until dates (plain functions, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.archive import ArchiveSettings
from dossiers.archive.errors import RetentionInPast, UnknownDocumentType
from dossiers.archive.retention import CountFrom, RetentionPolicy, add_years
from dossiers.errors import ValidationError

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(("document_type", "years"), [
    ("contract", 10), ("order_form", 10), ("invoice", 10), ("credit_note", 10),
    ("audit_log", 10), ("tax_supporting_document", 6),
])
def test_default_classes(document_type: str, years: int) -> None:
    retention = RetentionPolicy().retention_for(document_type, date(2026, 3, 5), NOW)
    assert retention.years == years
    # counted from the end of the financial year (31 December), last day fully covered
    assert retention.retain_until == datetime(2027 + years, 1, 1, tzinfo=UTC)


def test_counted_from_a_custom_financial_year_end() -> None:
    policy = RetentionPolicy(fiscal_year_end_month=6, fiscal_year_end_day=30)
    assert policy.fiscal_year_end(date(2026, 3, 5)) == date(2026, 6, 30)
    assert policy.fiscal_year_end(date(2026, 7, 1)) == date(2027, 6, 30)
    until = policy.retention_for("invoice", date(2026, 7, 1), NOW).retain_until
    assert until == datetime(2037, 7, 1, tzinfo=UTC)


def test_financial_year_ending_in_february_and_leap_years() -> None:
    policy = RetentionPolicy(fiscal_year_end_month=2, fiscal_year_end_day=29)
    assert policy.fiscal_year_end(date(2027, 1, 10)) == date(2027, 2, 28)
    assert policy.fiscal_year_end(date(2028, 1, 10)) == date(2028, 2, 29)
    assert add_years(date(2028, 2, 29), 10) == date(2038, 2, 28)


def test_counted_from_issue_date() -> None:
    policy = RetentionPolicy(count_from=CountFrom.ISSUE_DATE)
    until = policy.retention_for("tax_supporting_document", date(2026, 3, 5), NOW).retain_until
    assert until == datetime(2032, 3, 6, tzinfo=UTC)


def test_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownDocumentType) as caught:
        RetentionPolicy().retention_for("menu", date(2026, 1, 1), NOW)
    assert "menu" in caught.value.fr and "invoice" in caught.value.en


def test_already_expired_retention_is_refused() -> None:
    with pytest.raises(RetentionInPast):
        RetentionPolicy().retention_for("invoice", date(2010, 5, 1), NOW)


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValidationError):
        RetentionPolicy(document_classes={"invoice": "nope"})
    with pytest.raises(ValidationError):
        RetentionPolicy(classes={"short": 0}, document_classes={})


def test_settings_read_the_mapping_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIASSE_ARCHIVE_RETENTION_CLASSES", '{"long": 12, "tax": 6}')
    monkeypatch.setenv("LIASSE_ARCHIVE_DOCUMENT_CLASSES", '{"invoice": "long", "receipt": "tax"}')
    monkeypatch.setenv("LIASSE_ARCHIVE_COUNT_FROM", "issue_date")
    policy = ArchiveSettings().retention_policy()
    assert policy.retention_for("invoice", date(2026, 1, 1), NOW).years == 12
    assert policy.class_for("receipt") == "tax"
    assert policy.count_from is CountFrom.ISSUE_DATE


@given(
    issued=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    month=st.integers(1, 12), day=st.integers(1, 31), years=st.integers(1, 30),
)
def test_retention_always_covers_the_whole_period(issued: date, month: int, day: int,
                                                   years: int) -> None:
    policy = RetentionPolicy(classes={"c": years}, document_classes={"doc": "c"},
                             fiscal_year_end_month=month, fiscal_year_end_day=day)
    fy_end = policy.fiscal_year_end(issued)
    assert issued <= fy_end < add_years(issued, 1) + timedelta(days=1)
    retention = policy.retention_for("doc", issued, datetime(1990, 1, 1, tzinfo=UTC))
    assert retention.retain_until.date() > add_years(issued, years)
    assert retention.retain_until.date() > add_years(fy_end, years)
