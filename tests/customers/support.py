"""Test data and counting helpers shared by the customers/staff tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer

VALID_SIRET = "73282932000074"  # SIREN 732829320
VALID_FR_VAT = "FR44732829320"  # key matching SIREN 732829320
VALID_IBAN = "FR7630006000011234567890189"


def customer_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "normal", "title": "M.", "last_name": "Dupont", "first_name": "Jean",
        "address_street": "12 RUE DE LA PAIX", "postcode": "75002", "city": "PARIS",
        "email": "jean.dupont@example.fr", "mobile": "06 12 34 56 78",
        "sales_rep_login": "rep1",
    }
    data.update(overrides)
    return data


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    """(customers, audit events): what a refused input must leave unchanged."""
    with factory() as s:
        return count(s, Customer), count(s, AuditEvent)
