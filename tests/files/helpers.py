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


def issued_invoice(db: sessionmaker[Session], customer_id: int,
                   number: str = "F2026-000042") -> str:
    """A minimal issued invoice row of that customer (what a dispute is opened on)."""
    from decimal import Decimal

    from dossiers.invoicing.models import Invoice, InvoiceKind, InvoiceState

    zero = Decimal(0)
    with transaction(db) as session:
        session.add(Invoice(
            kind=InvoiceKind.INVOICE, type_code="380", series="F2026", number=number,
            state=InvoiceState.ISSUED, customer_id=customer_id, buyer_name="Martin",
            buyer={}, seller={}, issue_date=T0.date(), line_total=zero, allowance_total=zero,
            charge_total=zero, tax_basis_total=zero, tax_total=zero, grand_total=zero,
            due_payable_amount=zero, issued_at=T0, issued_by="bill"))
    return number
