"""Invoicing fixtures: a seller snapshot, a sales rep and a customer factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.db import transaction
from dossiers.invoicing.parties import SellerSnapshot
from dossiers.staff.models import StaffUser

TODAY = date(2026, 3, 2)

NOTES = {
    "fr": (
        {"code": "PMT", "text": "Indemnité forfaitaire pour frais de recouvrement : 40 €."},
        {"code": "PMD", "text": "Pénalités de retard : trois fois le taux d'intérêt légal."},
        {"code": "AAB", "text": "Pas d'escompte pour paiement anticipé."},
    ),
    "en": (
        {"code": "PMT", "text": "Fixed recovery indemnity: €40."},
        {"code": "PMD", "text": "Late-payment penalties: three times the legal interest rate."},
        {"code": "AAB", "text": "No early-payment discount."},
    ),
}

SELLER = SellerSnapshot(
    name="Éditions Liasse", siren="401234562", siret="40123456200015",
    address_lines=("12 rue de la République",), postcode="69002", city="Lyon", country="FR",
    vat_number="FR46401234562", legal_form="SAS",
    legal_mention="SAS au capital de 50 000 € – RCS Lyon 401234562",
    email="facturation@liasse.example", iban="FR7630006000011234567890189", bic="AGRIFRPP",
    sepa_creditor_id="FR12ZZZ123456", legal_notes=NOTES,
)

CustomerFactory = Callable[..., Customer]


@pytest.fixture
def seller() -> SellerSnapshot:
    return SELLER


@pytest.fixture
def make_customer(db: sessionmaker[Session]) -> CustomerFactory:
    """Create a committed customer; keyword arguments override the defaults."""
    counter = itertools.count(1)
    with transaction(db) as s:
        rep = StaffUser(login="rep", full_name="Rep", email="rep@liasse.example")
        s.add(rep)
        s.flush()
        rep_id = rep.id

    def create(**overrides: Any) -> Customer:
        n = next(counter)
        values: dict[str, Any] = {
            "number": f"C{n:05d}", "type": CustomerType.NORMAL, "state": CustomerState.ACTIVE,
            "is_company": True, "company_name": f"Bibliothèque {n}", "last_name": "Martin",
            "first_name": "Anne", "address_street": "3 RUE DES LILAS", "postcode": "75011",
            "city": "PARIS", "country": "FR", "siret": "73282932000074",
            "vat_number": "FR40303265045", "payment_term_days": 30,
            "discount_subscriptions_pct": Decimal(0), "discount_items_pct": Decimal(0),
            "sales_rep_id": rep_id,
        }
        values.update(overrides)
        with transaction(db) as s:
            customer = Customer(**values)
            s.add(customer)
            s.flush()
            s.expunge(customer)
        return customer

    return create


@pytest.fixture
def issue(db: sessionmaker[Session]) -> Callable[..., Any]:
    """Issue one invoice in its own transaction, dated TODAY unless `issue_date` is given."""
    from dossiers.invoicing.service import issue_invoice

    def run(**data: Any) -> Any:
        with transaction(db) as s:
            return issue_invoice(s, data, SELLER, actor="tester", today=TODAY)

    return run
