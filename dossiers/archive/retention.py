"""Legal retention: which class a document falls in and until when it must be kept.

French rules (seed 001): commercial documents — contracts, order forms, invoices, credit notes —
are kept 10 years (Code de commerce L123-22); documents kept only for the tax administration, 6
years (LPF L102 B). The 10-year class covers the 6-year tax rule for invoices. Periods run from
the end of the financial year the document belongs to (the usual reading of L123-22) or, if the
company prefers, from the issue date. Both the mapping and the start are configuration.

The retain-until instant is midnight UTC at the *end* of the last day of the period, so the last
day is fully covered whatever the time zone of the reader.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from dossiers.archive.errors import RetentionInPast, UnknownDocumentType
from dossiers.errors import ValidationError


class CountFrom(StrEnum):
    FISCAL_YEAR_END = "fiscal_year_end"
    ISSUE_DATE = "issue_date"


DEFAULT_CLASSES: dict[str, int] = {"commercial_10y": 10, "tax_6y": 6}
DEFAULT_DOCUMENT_CLASSES: dict[str, str] = {
    "contract": "commercial_10y",
    "order_form": "commercial_10y",
    "invoice": "commercial_10y",
    "credit_note": "commercial_10y",
    "audit_log": "commercial_10y",
    "audit_log_seal": "commercial_10y",
    "tax_supporting_document": "tax_6y",
}


def add_years(day: date, years: int) -> date:
    """Same month and day `years` later; 29 February becomes 28 February when needed."""
    target_year = day.year + years
    last_day = calendar.monthrange(target_year, day.month)[1]
    return day.replace(year=target_year, day=min(day.day, last_day))


@dataclass(frozen=True)
class Retention:
    retention_class: str
    years: int
    starts_on: date
    retain_until: datetime


@dataclass(frozen=True)
class RetentionPolicy:
    classes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    document_classes: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_DOCUMENT_CLASSES)
    )
    count_from: CountFrom = CountFrom.FISCAL_YEAR_END
    fiscal_year_end_month: int = 12
    fiscal_year_end_day: int = 31

    def __post_init__(self) -> None:
        for name, years in self.classes.items():
            if years <= 0:
                raise ValidationError(
                    f"Classe de conservation « {name} » : durée invalide ({years} ans).",
                    f"Retention class '{name}': invalid duration ({years} years).",
                )
        for doc_type, name in self.document_classes.items():
            if name not in self.classes:
                raise ValidationError(
                    f"Le type « {doc_type} » renvoie à une classe inconnue « {name} ».",
                    f"Document type '{doc_type}' refers to an unknown class '{name}'.",
                )
        if not 1 <= self.fiscal_year_end_month <= 12 or not 1 <= self.fiscal_year_end_day <= 31:
            raise ValidationError(
                "Fin d'exercice invalide (mois 1-12, jour 1-31).",
                "Invalid financial year end (month 1-12, day 1-31).",
            )

    def class_for(self, document_type: str) -> str:
        try:
            return self.document_classes[document_type]
        except KeyError:
            raise UnknownDocumentType(document_type, list(self.document_classes)) from None

    def fiscal_year_end(self, issued: date) -> date:
        """The last day of the financial year containing `issued`."""
        for year in (issued.year, issued.year + 1):
            last_day = calendar.monthrange(year, self.fiscal_year_end_month)[1]
            end = date(year, self.fiscal_year_end_month, min(self.fiscal_year_end_day, last_day))
            if end >= issued:
                return end
        raise AssertionError("unreachable: a year always has a financial year end")

    def retention_for(self, document_type: str, issued: date, now: datetime) -> Retention:
        """Compute the retention of a document; refuse one that would already have expired."""
        name = self.class_for(document_type)
        years = self.classes[name]
        start = issued if self.count_from is CountFrom.ISSUE_DATE else self.fiscal_year_end(issued)
        last_day = add_years(start, years)
        until = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)
        if until <= now:
            raise RetentionInPast(until)
        return Retention(name, years, start, until)
