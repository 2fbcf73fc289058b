"""A small world for the portal tests: staff of every access level with passwords, two sales
reps' customers, files waiting at the order-form step (one overdue, one with a PDF), and the
portal app over a `Services` on the test database.

Staff (password `PASSWORD` for all):
- `admin` (admin), `cora` (compliance), `ops` (operator);
- `olga` (order_desk: decides the order-form step), `dora` (documents_checker);
- `sam` and `rita`, sales reps of teams `nord` and `sud`; `lea`, group lead of `nord`.
Customers: `sam_customer` (sam's), `rita_customer` (rita's). Files: `sam_file` (order form
waiting, due tomorrow, a PDF attached), `rita_file` (order form waiting, overdue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from application.services import Services, build_services
from application.settings import Settings
from dossiers.circuits import load_circuit
from dossiers.customers.service import create_customer
from dossiers.db import transaction, utcnow
from dossiers.files import service
from dossiers.files.documents import attach_document
from dossiers.staff.credentials import LockoutPolicy, hash_password
from dossiers.staff.models import StaffCredential
from dossiers.staff.service import assign_team, create_staff_user, create_team
from portal.app import create_app
from tests.files.pdfs import pdf

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "cheval agrafe batterie"
STAFF: dict[str, list[str]] = {
    "admin": ["admin"], "cora": ["compliance"], "ops": ["operator"],
    "olga": ["order_desk"], "dora": ["documents_checker"],
    "sam": ["sales_rep"], "rita": ["sales_rep"], "lea": ["group_lead"],
}
ROLES = tuple(STAFF)  # every signed-in kind of user; "anonymous" is the ninth column


class Clock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@cache
def password_hash() -> str:
    """One argon2 hash for every test user (hashing costs ~0.3 s; signing in still verifies)."""
    return hash_password(PASSWORD)


def customer_data(last_name: str, rep: str) -> dict[str, Any]:
    return {"title": "Madame", "last_name": last_name, "first_name": "Claire",
            "address_street": "8 rue des Lilas", "postcode": "69003", "city": "Lyon",
            "email": f"{last_name.lower()}@exemple.fr", "payment_method": "virement",
            "payment_term_days": 30, "sales_rep_login": rep}


@dataclass
class PortalWorld:
    db: sessionmaker[Session]
    services: Services
    clock: Clock
    app: FastAPI
    sam_customer: str = ""
    rita_customer: str = ""
    sam_file: int = 0
    rita_file: int = 0
    sam_step: int = 0
    rita_step: int = 0
    document_id: int = 0
    resumed: list[tuple[int, Any]] = field(default_factory=list)

    def step_of(self, file_id: int) -> int:
        """The id of the file's current step run."""
        with self.db() as s:
            file = service.get_file(s, file_id)
            return next(r.id for r in file.steps if r.seq == file.current_seq)


def seed(world: PortalWorld) -> None:
    circuit = load_circuit(ROOT / "circuits" / "default.yaml")
    now = world.clock()
    with transaction(world.db) as s:
        for login, roles in STAFF.items():
            user = create_staff_user(s, {"login": login, "full_name": login.title(),
                                         "email": f"{login}@liasse-editions.fr", "roles": roles})
            s.add(StaffCredential(user_id=user.id, password_hash=password_hash(),
                                  changed_at=now))
        create_team(s, "nord", lead_login="lea")
        create_team(s, "sud")
        assign_team(s, "sam", "nord")
        assign_team(s, "rita", "sud")
        sam_customer = create_customer(s, customer_data("Dubois", "sam"))
        rita_customer = create_customer(s, customer_data("Lefort", "rita"))
        sam_file = service.start_file(s, customer_id=sam_customer.id, circuit=circuit,
                                      actor="sam", at=now - timedelta(hours=1))
        rita_file = service.start_file(s, customer_id=rita_customer.id, circuit=circuit,
                                       actor="rita", at=now - timedelta(hours=30))
        document = attach_document(s, world.services.blobs, sam_file.id, data=pdf(pages=2),
                                   original_name="bon-de-commande.pdf", kind="order_form",
                                   uploaded_by="sam", at=now)
        world.sam_customer, world.rita_customer = sam_customer.number, rita_customer.number
        world.sam_file, world.rita_file = sam_file.id, rita_file.id
        world.document_id = document.id
    world.sam_step = world.step_of(world.sam_file)
    world.rita_step = world.step_of(world.rita_file)


def build_world(db: sessionmaker[Session], home: Path, *,
                lockout: LockoutPolicy | None = None) -> PortalWorld:
    clock = Clock()
    services = build_services(Settings(home=home, secret_key="portal-test-secret"), factory=db,
                              clock=clock, chorus=None, vies=None, actor="portal")
    world = PortalWorld(db=db, services=services, clock=clock, app=None)  # type: ignore[arg-type]

    def resume(file_id: int, decision: Any) -> str:
        world.resumed.append((file_id, decision))
        return "resumed"

    world.app = create_app(services, resume=resume, lockout=lockout)
    seed(world)
    return world


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: Any, login: str, password: str = PASSWORD, next: str = "") -> Any:
    """Sign in through the form like a browser; returns the POST's response (303 on success)."""
    form = client.get("/login")
    return client.post("/login", data={"login": login, "password": password, "next": next,
                                       "csrf_token": csrf_in(form.text)},
                       follow_redirects=False)


def api_csrf(client: Any) -> str:
    return client.get("/api/me").json()["csrf_token"]
