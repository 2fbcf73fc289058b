"""Other addresses (kind, date range, title scope) and selection codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.addresses import add_address, address_for, remove_address
from dossiers.customers.models import AddressKind, Customer
from dossiers.customers.selection import (
    define_selection_code,
    remove_selection,
    set_selection,
)
from dossiers.customers.service import get_customer
from dossiers.db import transaction
from dossiers.errors import ConflictError, NotFound, ValidationError

from .support import counts

AddCustomer = Callable[..., Customer]

HOLIDAY = {"kind": "delivery", "recipient": "M DUPONT JEAN", "street": "1 PLAGE DU PRADO",
           "postcode": "13008", "city": "MARSEILLE", "valid_from": "2026-07-01",
           "valid_until": "2026-08-31"}


def test_most_specific_other_address_wins(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        add_address(s, customer.number, HOLIDAY)
        add_address(s, customer.number, {**HOLIDAY, "valid_from": None, "valid_until": None,
                                         "city": "LYON", "postcode": "69001"})
        add_address(s, customer.number, {"kind": "billing", "company_name": "ACME SA",
                                         "street": "3 AVENUE FOCH", "postcode": "75116",
                                         "city": "PARIS", "title_code": "REVUE"})
    with db() as s:
        stored = get_customer(s, customer.number)
        summer = address_for(stored, AddressKind.DELIVERY, date(2026, 7, 14))
        winter = address_for(stored, AddressKind.DELIVERY, date(2026, 12, 1))
        assert summer is not None and summer.city == "MARSEILLE"
        assert winter is not None and winter.city == "LYON"
        assert address_for(stored, AddressKind.BILLING, date(2026, 1, 1), "REVUE") is not None
        assert address_for(stored, AddressKind.BILLING, date(2026, 1, 1), "AUTRE") is None
        assert address_for(stored, AddressKind.REMINDER, date(2026, 1, 1)) is None
        billing_id = stored.addresses[-1].id
    with transaction(db) as s:
        remove_address(s, billing_id)
    with db() as s:
        assert len(get_customer(s, customer.number).addresses) == 2


@pytest.mark.parametrize(("changes", "words"), [
    ({"valid_until": "2026-06-01"}, "précède"),
    ({"street": "Y" * 39}, "38 caractères"),
    ({"kind": "holiday"}, "valeur non permise"),
    ({"postcode": None}, "Code postal et ville"),
    ({"city": "SAINT REMY EN BOUZEMONT SAINT GENES"}, "ligne 6"),
])
def test_bad_other_address_is_refused(
    db: sessionmaker[Session], add_customer: AddCustomer, changes: dict[str, object],
    words: str,
) -> None:
    customer = add_customer()
    before = counts(db)
    with pytest.raises(ValidationError, match=words), transaction(db) as s:
        add_address(s, customer.number, {**HOLIDAY, **changes})
    assert counts(db) == before


def test_selection_codes_free_and_from_a_list(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        define_selection_code(s, "profession", "Profession")
        define_selection_code(s, "SECTEUR", "Secteur d'activité", choices=["Informatique",
                                                                          "Édition"])
        set_selection(s, customer.number, "PROFESSION", "Comptable")
        set_selection(s, customer.number, "secteur", "Édition")
    with pytest.raises(ValidationError, match="non prévue"), transaction(db) as s:
        set_selection(s, customer.number, "SECTEUR", "Banque")
    with pytest.raises(NotFound, match="créez-le"), transaction(db) as s:
        set_selection(s, customer.number, "ANNEE", "1972")
    with pytest.raises(ConflictError), transaction(db) as s:
        set_selection(s, customer.number, "PROFESSION", "Comptable")
    with pytest.raises(ConflictError), transaction(db) as s:
        define_selection_code(s, "Profession", "again")
    with db() as s:
        values = {(v.code.code, v.value) for v in get_customer(s, customer.number).selections}
    assert values == {("PROFESSION", "Comptable"), ("SECTEUR", "Édition")}
    with transaction(db) as s:
        remove_selection(s, customer.number, "PROFESSION", "Comptable")
    with db() as s:
        assert len(get_customer(s, customer.number).selections) == 1
