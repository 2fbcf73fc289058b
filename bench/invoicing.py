"""Benchmark: issuing invoices (numbering lock + audit chain), alone and from 8 processes, and
the Factur-X gate (CII XML + XSD + EN 16931 + BR-FR) that runs before each commit.

    .venv/bin/python -m bench.invoicing [--count 500] [--processes 8] [--per-process 250]

Uses a SQLite file and a throw-away PostgreSQL database (`LIASSE_TEST_PG_URL`, default
postgres@127.0.0.1:5432/test). Prints invoices per second and checks that the numbers are
consecutive with no gap.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import application.schema.all_models  # noqa: F401
from application.invoicing.issuing import issue_checked, seller_from_profile
from documents.profile import demo_profile
from dossiers.customers.models import Customer, CustomerType
from dossiers.db import Base, make_engine, make_session_factory, transaction
from dossiers.invoicing.models import Invoice
from dossiers.invoicing.service import issue_invoice
from dossiers.staff.models import StaffUser

PG_ADMIN_URL = os.environ.get(
    "LIASSE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUEST = {
    "customer": "B00001",
    "issue_date": "2026-03-02",
    "lines": [
        {"description": "Abonnement annuel", "quantity": "1", "unit_price": "89",
         "vat_rate": "2.1", "kind": "subscription"},
        {"description": "Livre", "quantity": "2", "unit_price": "24.50", "vat_rate": "5.5"},
    ],
}


def prepare(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        rep = StaffUser(login="bench", full_name="Bench", email="bench@liasse.example")
        s.add(rep)
        s.flush()
        s.add(Customer(number="B00001", type=CustomerType.NORMAL, company_name="Bench SA",
                       address_street="1 RUE", postcode="75001", city="PARIS",
                       email="ap@bench.example", payment_term_days=30, sales_rep_id=rep.id))
    return factory


def timed(label: str, count: int, run: Callable[[], None]) -> None:
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {count:>6} in {elapsed:7.2f} s = {count / elapsed:8.1f} /s", flush=True)


def issue_many(url: str, count: int) -> None:
    factory = make_session_factory(make_engine(url))
    seller = seller_from_profile(demo_profile())
    for _ in range(count):
        with transaction(factory) as s:
            issue_invoice(s, REQUEST, seller)


def check_gapless(factory: sessionmaker[Session], expected: int) -> None:
    with factory() as s:
        numbers = list(s.scalars(select(Invoice.number).order_by(Invoice.number)))
    wanted = [f"F2026-{n:05d}" for n in range(1, expected + 1)]
    print(f"{'':<48} numbers consecutive, no gap: {numbers == wanted}", flush=True)


def pg_database() -> tuple[str, Callable[[], None]]:
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"liasse_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--per-process", type=int, default=250)
    parser.add_argument("--checked", type=int, default=20, help="invoices through the gate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        factory = prepare(sqlite_url)
        timed("SQLite, one process", args.count, lambda: issue_many(sqlite_url, args.count))
        check_gapless(factory, args.count)
    url, drop = pg_database()
    try:
        factory = prepare(url)
        timed("PostgreSQL, one process", args.count, lambda: issue_many(url, args.count))
        check_gapless(factory, args.count)
        with factory() as s, s.begin():
            s.execute(text("TRUNCATE invoice_lines, invoice_adjustments, invoices, "
                           "invoice_counters, audit_events, audit_chain_head"))

        def parallel() -> None:
            fork = multiprocessing.get_context("fork")
            workers = [fork.Process(target=issue_many, args=(url, args.per_process))
                       for _ in range(args.processes)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()

        total = args.processes * args.per_process
        timed(f"PostgreSQL, {args.processes} processes", total, parallel)
        check_gapless(factory, total)
        profile = demo_profile()

        def gated() -> None:
            for _ in range(args.checked):
                with transaction(factory) as s:
                    issue_checked(s, REQUEST, profile)

        timed("PostgreSQL + Factur-X gate (XSD+EN16931+BR-FR)", args.checked, gated)
    finally:
        drop()


if __name__ == "__main__":
    main()
