"""A fake VIES over HTTP and a real zeep-based checker pointed at it, for any test module.

Import the fixtures by name (`from tests.vies.fixtures import checker, fake_vies, vies_server`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.chorus_pro.fake.server import ServerThread
from connectors.vies import VatChecker
from connectors.vies.fake import FakeVies, create_app
from connectors.vies.settings import ViesSettings


@pytest.fixture(scope="module")
def vies_server() -> Iterator[tuple[FakeVies, str]]:
    fake = FakeVies()
    app = create_app(fake)
    with ServerThread(app) as server:
        yield fake, server.url + app.state.service_path


@pytest.fixture
def fake_vies(vies_server: tuple[FakeVies, str]) -> FakeVies:
    vies_server[0].reset()
    return vies_server[0]


@pytest.fixture
def checker(vies_server: tuple[FakeVies, str], fake_vies: FakeVies) -> VatChecker:
    return VatChecker(settings=ViesSettings(url=vies_server[1], timeout_seconds=2))
