"""Issue 14 item 9: control characters and bidi overrides in names, and countries that do not
exist, are refused with a message naming the field; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.addresses import add_address
from dossiers.customers.service import create_customer, update_customer
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.staff.models import StaffUser
from dossiers.staff.service import create_staff_user, create_team

from .support import count, counts, customer_data
from .test_cli import PERSON, Cli, cli, with_staff  # noqa: F401 (the CLI fixtures)


@pytest.mark.parametrize(("field", "value", "label", "shown"), [
    ("last_name", "Dupont\u202e", "nom", "U+202E"),
    ("first_name", "Jean\x1b[31m", "prénom", "U+001B"),
    ("company_name", "ACME\x00", "société (ligne 1)", "U+0000"),
    ("city", "PARIS\u2066", "ville", "U+2066"),
    ("address_street", "12 RUE\tDE LA PAIX", "adresse (ligne 4)", "U+0009"),
    ("title", "M.\x7f", "civilité", "U+007F"),
])
def test_control_and_bidi_characters_in_a_customer_are_refused(
    db: sessionmaker[Session], staff: None, field: str, value: str, label: str, shown: str
) -> None:
    before = counts(db)
    with pytest.raises(ValidationError) as refused, transaction(db) as s:
        create_customer(s, customer_data(**{field: value}), actor="test")
    assert f"« {label} »" in refused.value.fr and shown in refused.value.fr, refused.value.fr
    assert shown in refused.value.en
    assert counts(db) == before


def test_an_update_cannot_smuggle_a_bidi_override(add_customer, db) -> None:
    customer = add_customer()
    with pytest.raises(ValidationError, match="nom"), transaction(db) as s:
        update_customer(s, customer.number, {"last_name": "\u202eTNOPUD"}, actor="test")


@pytest.mark.parametrize("country", ["XX", "ZZ", "UK", "EU"])
def test_a_country_must_exist_in_iso_3166(db, staff: None, country: str) -> None:
    before = counts(db)
    with pytest.raises(ValidationError) as refused, transaction(db) as s:
        create_customer(s, customer_data(country=country, postcode="1000"), actor="test")
    assert "« pays »" in refused.value.fr and country in refused.value.fr
    assert "ISO 3166" in refused.value.en
    assert counts(db) == before


def test_real_countries_are_accepted_in_any_case(db, staff: None) -> None:
    with transaction(db) as s:
        belgian = create_customer(s, customer_data(country="be", postcode="1000",
                                                   city="BRUXELLES"), actor="test")
        assert belgian.country == "BE"


def test_other_addresses_check_the_country_too(add_customer, db) -> None:
    customer = add_customer()
    with pytest.raises(ValidationError, match="pays"), transaction(db) as s:
        add_address(s, customer.number, {"kind": "delivery", "recipient": "M. DUPONT",
                                     "street": "1 RUE X", "postcode": "1000", "city": "X",
                                     "country": "XX"}, actor="test")


def test_staff_and_team_names_refuse_control_characters(db: sessionmaker[Session]) -> None:
    with pytest.raises(ValidationError) as refused, transaction(db) as s:
        create_staff_user(s, {"login": "eve", "full_name": "Eve\u202e Admin",
                              "email": "eve@liasse.example", "roles": ["sales_rep"]})
    assert "« nom complet »" in refused.value.fr and "U+202E" in refused.value.fr
    with pytest.raises(ValidationError, match="U\\+0007"), transaction(db) as s:
        create_team(s, "Nord\x07")
    with db() as s:
        assert count(s, StaffUser) == 0


def test_cli_refuses_them_in_one_line(with_staff: Cli, db) -> None:  # noqa: F811
    before = counts(db)
    for args, words in ((["--country", "XX", "--postcode", "1000"], "pays"),
                        (["--last-name", "Lef\u202eèvre"], "U+202E")):
        result = with_staff("customers", "add", *PERSON, *args)
        assert result.code == ValidationError.exit_code and words in result.err, (args, result.err)
        assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err
    assert counts(db) == before
