"""A small real world for the file-engine tests: staff with the circuit roles, a customer, the
embedded defaults under a temporary LIASSE_HOME (local archive folder, `.eml` outbox, demo PKI),
the fake Twilio over HTTP, and a `DbFileEngine` on the test database with an injected clock.

`FlakyStore` wraps the real local archive folder and raises once on `put` when told to: the
outage of an external service, to prove a retried step archives exactly once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from application.invoicing.posting import prepare_for_file
from application.services import Services, build_services
from connectors.archive import LocalFolderArchive
from connectors.mail.models import SentMail
from connectors.sms.fake_twilio import FakeTwilioServer
from dossiers.archive.models import ArchivedDocument
from dossiers.circuits import load_circuit
from dossiers.customers.service import create_customer
from dossiers.db import transaction
from dossiers.files import service
from dossiers.staff.service import assign_team, create_staff_user, create_team, set_team_lead
from flows.db_file_engine import DbFileEngine

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TWILIO_SID, TWILIO_TOKEN = "AC00000000000000000000000000000000", "fake-twilio-token"
STAFF = {
    "olga": ["order_desk"], "dora": ["documents_checker"], "carl": ["contract_manager"],
    "bill": ["billing"], "dina": ["disputes"], "ops": ["operator"], "sam": ["sales_rep"],
    "lea": ["group_lead"], "max": ["sales_manager"],
}
CUSTOMER = {
    "title": "Madame", "last_name": "Dubois", "first_name": "Claire",
    "address_street": "8 rue des Lilas", "postcode": "69003", "city": "Lyon",
    "email": "claire.dubois@exemple.fr", "mobile": "+33612345678",
    "payment_method": "virement", "payment_term_days": 30, "sales_rep_login": "sam",
}
MANAGER_MOBILE = "+33798765432"


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FlakyStore:
    """The real local archive folder, failing its next `put` when `fail_puts` > 0."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.fail_puts, self.puts = inner, 0, 0

    def put(self, *args: Any, **kwargs: Any) -> Any:
        if self.fail_puts:
            self.fail_puts -= 1
            raise ConnectionError("archive store unavailable")
        self.puts += 1
        return self.inner.put(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class World:
    db: sessionmaker[Session]
    home: Path
    clock: Clock
    ctx: Services
    engine: DbFileEngine
    twilio: FakeTwilioServer
    store: FlakyStore
    customer_id: int
    resumed: list[tuple[int, int]] = field(default_factory=list)

    def start_file(self, circuit: str = "default", parent_invoice_ref: str | None = None) -> int:
        definition = load_circuit(ROOT / "circuits" / f"{circuit}.yaml")
        with transaction(self.db) as s:
            file = service.start_file(s, customer_id=self.customer_id, circuit=definition,
                                      actor="sam", parent_invoice_ref=parent_invoice_ref,
                                      at=self.clock())
            if circuit == "default":
                prepare_for_file(s, file.id, INVOICE, self.ctx.profile, actor="sam")
            return file.id

    # --- what happened, counted where it landed -------------------------------------------
    def archived(self) -> int:
        with self.db() as s:
            return s.scalar(select(func.count()).select_from(ArchivedDocument)) or 0

    def mails(self, prefix: str = "") -> int:
        with self.db() as s:
            return s.scalar(select(func.count()).select_from(SentMail)
                            .where(SentMail.idempotency_key.startswith(prefix))) or 0

    def sms(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.twilio.base_url}/_outbox", timeout=5).json()

    def code_for(self, phone: str) -> str:
        body = [m["body"] for m in self.sms() if m["to"] == phone][-1]
        found = re.search(r"\b(\d{6})\b", body)
        assert found, body
        return found.group(1)


INVOICE = {"customer": "", "lines": [
    {"description": "Abonnement annuel « Revue Liasse »", "quantity": "1",
     "unit_price": "89.00", "vat_rate": "2.1", "kind": "subscription"},
    {"description": "Guide pratique de la facturation électronique", "quantity": "2",
     "unit_price": "32.00", "vat_rate": "5.5"},
]}


def seed(db: sessionmaker[Session]) -> int:
    with transaction(db) as s:
        for login, roles in STAFF.items():
            create_staff_user(s, {"login": login, "full_name": login.title(),
                                  "email": f"{login}@liasse-editions.fr", "roles": roles,
                                  "mobile": MANAGER_MOBILE if login == "max" else None})
        team = create_team(s, "validation")
        set_team_lead(s, team, "lea")
        for login in ("olga", "dora", "carl", "bill"):
            assign_team(s, login, "validation")
        customer = create_customer(s, CUSTOMER)
        INVOICE["customer"] = customer.number
        return customer.id


def build_world(db: sessionmaker[Session], home: Path, twilio: FakeTwilioServer) -> World:
    from application.settings import Settings

    clock = Clock()
    ctx = build_services(Settings(), factory=db, clock=clock, chorus=None)
    store = FlakyStore(LocalFolderArchive(home / "archive", clock=clock))
    ctx.archive = dataclasses.replace(ctx.archive, backend=store)
    world = World(db, home, clock, ctx, None, twilio, store, seed(db))  # type: ignore[arg-type]
    world.engine = DbFileEngine(db, ctx, clock=clock,
                                resume=lambda f, r: world.resumed.append((f, r)))
    return world



def _clear_caches() -> None:
    from liasse.cli.environment import clear_caches

    clear_caches()


@pytest.fixture(scope="session")
def fake_twilio_server():  # type: ignore[no-untyped-def]
    with FakeTwilioServer(TWILIO_SID, TWILIO_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def pki_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LIASSE_HOME per session: the demo PKI is generated once (seconds), then reused."""
    return tmp_path_factory.mktemp("liasse-home")


@pytest.fixture(name="world")
def world_fixture(db: sessionmaker[Session], pki_home: Path, tmp_path: Path,
          fake_twilio_server: FakeTwilioServer, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in ("LIASSE_DATABASE_URL", "LIASSE_TRUST_ROOTS", "LIASSE_SEAL_CERT",
                 "LIASSE_TSA_URL", "LIASSE_SMTP_HOST", "LIASSE_ARCHIVE_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIASSE_HOME", str(pki_home))
    monkeypatch.setenv("LIASSE_SECRET_KEY", "file-engine-test-secret")
    monkeypatch.setenv("LIASSE_SMS_BACKEND", "twilio")  # Twilio's contract, served by the fake
    monkeypatch.setenv("LIASSE_TWILIO_BASE_URL", fake_twilio_server.base_url)
    _clear_caches()
    home = tmp_path / "home"
    home.mkdir()
    world = build_world(db, home, fake_twilio_server)
    world.ctx.blobs = type(world.ctx.blobs)(home / "blobs")
    from connectors.mail import OutboxMailer

    world.ctx.mailer = OutboxMailer(home / "outbox", db)
    yield world
    _clear_caches()
