"""Concurrent creations get distinct, gapless numbers; the identifier doctests hold; folding."""

from __future__ import annotations

import doctest
import threading
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import dossiers.customers.normalise
import dossiers.customers.numbering
import dossiers.identifiers
from dossiers.customers.models import Customer
from dossiers.customers.normalise import normalise
from dossiers.customers.service import create_customer
from dossiers.db import transaction

from .support import customer_data

AddCustomer = Callable[..., Customer]


def test_concurrent_creations_get_distinct_gapless_numbers(
    db: sessionmaker[Session], staff: None
) -> None:
    workers, per_worker = 4, 3
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for n in range(per_worker):
                with transaction(db) as s:
                    create_customer(s, customer_data(last_name=f"W{index}N{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db() as s:
        numbers = s.scalars(select(Customer.number).order_by(Customer.number)).all()
    assert numbers == [f"C{i:06d}" for i in range(1, workers * per_worker + 1)]


def test_module_doctests_pass() -> None:
    for module in (dossiers.identifiers, dossiers.customers.normalise,
                   dossiers.customers.numbering):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ -'"


@given(st.text(alphabet=FRENCH_LETTERS, max_size=40))
def test_folding_ignores_case_and_is_idempotent(text: str) -> None:
    folded = normalise(text)
    assert normalise(text.upper()) == folded
    assert normalise(folded) == folded
    assert folded.isascii()
