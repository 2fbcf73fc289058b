"""Gapless numbering under real concurrency (separate processes, separate connections).

- 8 processes issue 250 invoices each into one series on PostgreSQL: 2,000 distinct,
  consecutive numbers, no gap.
- A process killed (SIGKILL) while it holds the counter lock, its invoice inserted but not
  committed, burns no number: the next invoice gets the number it had taken.
- Concurrent partial credits on one invoice are serialised on the invoice row: the credited
  total never exceeds the invoice.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import make_engine, make_session_factory, transaction
from dossiers.errors import ValidationError
from dossiers.invoicing.credit import credit_invoice
from dossiers.invoicing.models import Invoice
from dossiers.invoicing.parties import SellerSnapshot
from dossiers.invoicing.service import issue_invoice

DAY = date(2026, 3, 2)
# Fresh interpreters, not forks: a fork inherits whatever earlier tests left in the worker
# process (threads, servers, handlers) and died silently with exit code 1 in the full suite.
PROCS = multiprocessing.get_context("spawn")
PROCESSES, PER_PROCESS = 8, 250


def _request(customer: str) -> dict:
    return {"customer": customer, "issue_date": DAY.isoformat(),
            "lines": [{"description": "Abonnement", "quantity": "1", "unit_price": "12.50"}]}


def _issue_many(url: str, customer: str, seller: SellerSnapshot, count: int) -> None:
    factory = make_session_factory(make_engine(url))
    for _ in range(count):
        with transaction(factory) as s:
            issue_invoice(s, _request(customer), seller, actor=f"pid{os.getpid()}")


def _issue_and_hang(url: str, customer: str, seller: SellerSnapshot, ready) -> None:
    factory = make_session_factory(make_engine(url))
    session = factory()
    with session.begin():
        invoice = issue_invoice(session, _request(customer), seller)
        ready.put(invoice.number)  # holds the counter lock, nothing committed
        time.sleep(120)


def _numbers(db: sessionmaker[Session]) -> list[str]:
    with db() as s:
        return list(s.scalars(select(Invoice.number).order_by(Invoice.number)))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_eight_processes_get_2000_consecutive_numbers(
    db_engine: Engine, db: sessionmaker[Session], make_customer, seller
) -> None:
    customer = make_customer().number
    url = db_engine.url.render_as_string(hide_password=False)
    db_engine.dispose()  # children must not share the parent's pooled connections
    workers = [PROCS.Process(target=_issue_many, args=(url, customer, seller, PER_PROCESS))
               for _ in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    total = PROCESSES * PER_PROCESS
    assert _numbers(db) == [f"F2026-{n:05d}" for n in range(1, total + 1)]


def test_killed_issuer_burns_no_number(
    db_engine: Engine, db: sessionmaker[Session], issue, make_customer, seller
) -> None:
    customer = make_customer().number
    issue(customer=customer, lines=_request(customer)["lines"])
    url = db_engine.url.render_as_string(hide_password=False)
    db_engine.dispose()
    ready = PROCS.Queue()
    victim = PROCS.Process(target=_issue_and_hang, args=(url, customer, seller, ready))
    victim.start()
    assert ready.get(timeout=60) == "F2026-00002"  # taken, locked, not committed
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=30)
    assert victim.exitcode == -signal.SIGKILL
    assert issue(customer=customer, lines=_request(customer)["lines"]).number == "F2026-00002"
    assert _numbers(db) == ["F2026-00001", "F2026-00002"]


def _credit_forty(url: str, number: str, start, results) -> None:
    factory = make_session_factory(make_engine(url))
    start.wait(timeout=60)
    try:
        with transaction(factory) as s:
            note = credit_invoice(s, {"invoice": number, "amount": "40", "reason": "race"})
        results.put(note.number)
    except ValidationError:
        results.put("refused")


def test_concurrent_credits_never_exceed_the_invoice(
    db_engine: Engine, issue, make_customer
) -> None:
    customer = make_customer().number
    invoice = issue(customer=customer, lines=[{"description": "Revue", "quantity": "1",
                                               "unit_price": "100"}])
    url = db_engine.url.render_as_string(hide_password=False)
    db_engine.dispose()
    start, results = PROCS.Barrier(4), PROCS.Queue()
    racers = [PROCS.Process(target=_credit_forty, args=(url, invoice.number, start, results))
              for _ in range(4)]
    for r in racers:
        r.start()
    outcomes = sorted(results.get(timeout=120) for _ in racers)
    for r in racers:
        r.join(timeout=30)
    assert outcomes == ["AV2026-00001", "AV2026-00002", "refused", "refused"]
