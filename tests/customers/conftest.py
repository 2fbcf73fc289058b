"""Fixtures for the customers/staff tests: a small staff with a team, and a customer factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.models import Customer
from dossiers.customers.service import create_customer
from dossiers.db import transaction
from dossiers.staff.service import assign_team, create_staff_user, create_team

from .support import customer_data


@pytest.fixture
def staff(db: sessionmaker[Session]) -> None:
    """admin, compliance, two reps in team Nord (led by `lead`), one rep outside, an operator."""
    with transaction(db) as s:
        def user(login: str, *roles: str) -> None:
            create_staff_user(s, {"login": login, "full_name": login.title(),
                                  "email": f"{login}@liasse.example", "roles": list(roles)})
        user("admin", "admin")
        user("conformite", "compliance")
        user("lead", "group_lead", "sales_rep")
        user("rep1", "sales_rep")
        user("rep2", "sales_rep")
        user("rep3", "sales_rep")
        user("ops", "operator", "order_desk")
        create_team(s, "Nord", lead_login="lead")
        assign_team(s, "rep1", "Nord")
        assign_team(s, "rep2", "Nord")


@pytest.fixture
def add_customer(db: sessionmaker[Session], staff: None) -> Callable[..., Customer]:
    def add(**overrides: Any) -> Customer:
        with transaction(db) as s:
            return create_customer(s, customer_data(**overrides), actor="test")
    return add
