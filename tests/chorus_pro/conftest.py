"""The fake Chorus Pro on a real local port, and real clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.checks import xsd_only_check
from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor
from connectors.chorus_pro.fake import FakeChorus, ServerThread, create_app

from .helpers import make_settings


@pytest.fixture(scope="module")
def chorus_server() -> Iterator[tuple[FakeChorus, ServerThread]]:
    fake = FakeChorus()
    with ServerThread(create_app(fake)) as server:
        yield fake, server


@pytest.fixture
def fake(chorus_server: tuple[FakeChorus, ServerThread]) -> FakeChorus:
    fake, _ = chorus_server
    fake.reset()
    return fake


@pytest.fixture
def server_url(chorus_server: tuple[FakeChorus, ServerThread]) -> str:
    return chorus_server[1].url


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeChorus, server_url: str, sleeps: list[float]) -> Iterator[ChorusProClient]:
    with ChorusProClient(make_settings(server_url), clock=fake.clock.now, sleep=sleeps.append) as c:
        yield c


@pytest.fixture
def depositor(db: sessionmaker[Session], client: ChorusProClient, fake: FakeChorus) -> Depositor:
    return Depositor(
        db, client, xsd_only_check, clock=fake.clock.now, reconcile_after=timedelta(minutes=5)
    )
