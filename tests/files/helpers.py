"""Builders shared by the customer-file tests: staff with roles, customers, circuits, a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from dossiers.circuits import Circuit, load_circuit
from dossiers.customers.models import Customer, CustomerType
from dossiers.db import transaction
from dossiers.staff.models import StaffRole, StaffUser

CIRCUITS_DIR = Path(__file__).resolve().parents[2] / "circuits"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def default_circuit() -> Circuit:
    return load_circuit(CIRCUITS_DIR / "default.yaml")


def dispute_circuit() -> Circuit:
    return load_circuit(CIRCUITS_DIR / "dispute.yaml")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


STAFF = {
    "admin": ["admin"],
    "olga": ["order_desk"],
    "oscar": ["order_desk"],
    "dora": ["documents_checker"],
    "carl": ["contract_manager"],
    "bill": ["billing"],
    "dina": ["disputes"],
    "ops": ["operator"],
    "sam": ["sales_rep"],
}


def seed(db: sessionmaker[Session]) -> int:
    """Create the staff above and one customer; return the customer id."""
    with transaction(db) as session:
        users = {
            login: StaffUser(login=login, full_name=login.title(), email=f"{login}@liasse.test",
                             roles=[StaffRole(role=r) for r in roles])
            for login, roles in STAFF.items()
        }
        session.add_all(users.values())
        session.flush()
        customer = Customer(number="C000001", type=CustomerType.NORMAL, last_name="Martin",
                            sales_rep_id=users["sam"].id)
        session.add(customer)
        session.flush()
        return customer.id
