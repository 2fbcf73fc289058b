"""Quick search (accent/case-free on both databases), Excel export, access scoping, staff."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.access import can_see_customer, visible_customers
from dossiers.customers.export import export_customers
from dossiers.customers.models import Customer
from dossiers.customers.search import quick_search
from dossiers.customers.selection import define_selection_code, set_selection
from dossiers.db import transaction
from dossiers.errors import ConflictError, ValidationError
from dossiers.staff.service import (
    create_staff_user,
    create_team,
    get_staff,
    grant_role,
    revoke_role,
    users_with_role,
)

AddCustomer = Callable[..., Customer]


@pytest.fixture
def people(db: sessionmaker[Session], add_customer: AddCustomer) -> dict[str, str]:
    helene = add_customer(last_name="Lefèvre", first_name="Hélène", city="SAINT-ÉTIENNE",
                          postcode="42000", email="helene@exemple.fr")
    acme = add_customer(company_name="Société Générale d'Édition", last_name=None,
                        first_name=None, is_company=True, city="PARIS", postcode="75002",
                        sales_rep_login="rep3")
    martin = add_customer(last_name="MARTIN", first_name="Paul", city="Lyon", postcode="69001",
                          address_street="5 RUE DES 100% BIO", sales_rep_login="lead")
    with transaction(db) as s:
        define_selection_code(s, "PROFESSION", "Profession")
        set_selection(s, martin.number, "PROFESSION", "Comptable agréé")
    return {"helene": helene.number, "acme": acme.number, "martin": martin.number}


def _found(db: sessionmaker[Session], field: str, value: str) -> list[str]:
    with db() as s:
        return [c.number for c in quick_search(s, field, value)]


SEARCHES = [
    ("name", "LEFEVRE", ["helene"]),
    ("name", "hélène", ["helene"]),
    ("name", "ÉLÈN", ["helene"]),
    ("name", "Hélène Lefèvre", ["helene"]),
    ("name", "paul dupont", []),
    ("company", "generale d'edition", ["acme"]),
    ("city", "saint etienne", []),  # the hyphen is kept: "saint-etienne"
    ("city", "Saint-Etienne", ["helene"]),
    ("city", "LYON", ["martin"]),
    ("postcode", "75", ["acme"]),
    ("postcode", "69 001", ["martin"]),
    ("number", "2", ["acme"]),
    ("number", "c000003", ["martin"]),
    ("selection", "profession", ["martin"]),
    ("selection", "PROFESSION=comptable", ["martin"]),
    ("selection", "AGREE", ["martin"]),
    ("all", "exemple.fr", ["helene"]),
    ("all", "100%", ["martin"]),
    ("all", "100_", []),
    ("all", "edition", ["acme"]),
    ("all", "paris", ["acme"]),
]


def test_quick_search_ignores_case_and_accents(
    db: sessionmaker[Session], people: dict[str, str]
) -> None:
    # One data set, many searches: checked together so each backend builds the data once.
    wrong = [
        (field, value, found, expected)
        for field, value, who in SEARCHES
        if (found := _found(db, field, value)) != (expected := sorted(people[w] for w in who))
    ]
    assert wrong == []


def test_search_refuses_unknown_field_and_empty_value(db: sessionmaker[Session]) -> None:
    with db() as s:
        with pytest.raises(ValidationError, match="inconnu"):
            quick_search(s, "shoe_size", "42")
        with pytest.raises(ValidationError, match="valeur"):
            quick_search(s, "name", "  ")


def test_export_reads_back_with_openpyxl(
    db: sessionmaker[Session], people: dict[str, str]
) -> None:
    with db() as s:
        selection = quick_search(s, "all", "e")
        data = export_customers(selection, ["number", "last_name", "city", "payment_term_days"])
        english = export_customers(selection[:1], ["number", "city"], language="en")
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Numéro", "Nom", "Ville", "Échéance (jours)")
    assert (people["helene"], "Lefèvre", "SAINT-ÉTIENNE", 0) in rows[1:]
    assert len(rows) == 1 + len(selection)
    assert next(load_workbook(BytesIO(english)).active.iter_rows(values_only=True)) == (
        "Number", "City")
    with pytest.raises(ValidationError, match="Colonne"):
        export_customers(selection, ["number", "password"])


def test_visible_customers_by_access_level(
    db: sessionmaker[Session], people: dict[str, str], add_customer: AddCustomer
) -> None:
    rep2_customer = add_customer(sales_rep_login="rep2").number
    everyone = sorted([*people.values(), rep2_customer])
    with db() as s:
        def seen(login: str) -> list[str]:
            return [c.number for c in visible_customers(s, get_staff(s, login))]
        assert seen("admin") == everyone
        assert seen("conformite") == everyone
        assert seen("rep1") == [people["helene"]]
        assert seen("rep3") == [people["acme"]]
        # lead leads team Nord (rep1, rep2, and themself) but not rep3
        assert seen("lead") == sorted([people["helene"], people["martin"], rep2_customer])
        assert seen("ops") == []
        acme = quick_search(s, "number", people["acme"])[0]
        assert can_see_customer(s, get_staff(s, "rep3"), acme)
        assert not can_see_customer(s, get_staff(s, "lead"), acme)
        assert [c.number for c in quick_search(s, "all", "e", staff_user=get_staff(s, "rep1"))
                ] == [people["helene"]]


def test_staff_roles_and_users_with_role(db: sessionmaker[Session], staff: None) -> None:
    with db() as s:
        assert [u.login for u in users_with_role(s, "sales_rep")] == [
            "lead", "rep1", "rep2", "rep3"]
        assert [u.login for u in users_with_role(s, "order_desk")] == ["ops"]
        assert get_staff(s, "ops").role_names == {"operator", "order_desk"}
        assert get_staff(s, "rep1").team.name == "Nord"
    with pytest.raises(ConflictError), transaction(db) as s:
        create_staff_user(s, {"login": "rep1", "full_name": "X", "email": "x@x.fr",
                              "roles": ["admin"]})
    with pytest.raises(ValidationError, match="rôles"), transaction(db) as s:
        create_staff_user(s, {"login": "new", "full_name": "X", "email": "x@x.fr", "roles": []})
    with pytest.raises(ValidationError, match="e-mail"), transaction(db) as s:
        create_staff_user(s, {"login": "new", "full_name": "X", "email": "x", "roles": ["admin"]})


def test_team_lead_needs_group_lead_and_roles_can_change(
    db: sessionmaker[Session], staff: None
) -> None:
    with pytest.raises(ValidationError, match="group_lead requis"), transaction(db) as s:
        create_team(s, "Sud", lead_login="rep3")
    with transaction(db) as s:
        grant_role(s, "rep3", "group_lead")
        create_team(s, "Sud", lead_login="rep3")
        grant_role(s, "ops", "Compliance_Officer")
        revoke_role(s, "ops", "order_desk")
    with pytest.raises(ValidationError, match="rôle"), transaction(db) as s:
        grant_role(s, "ops", "not a role!")
    with db() as s:
        assert get_staff(s, "rep3").team.name == "Sud"
        assert get_staff(s, "ops").role_names == {"operator", "compliance_officer"}
        assert users_with_role(s, "order_desk") == []
