"""Fixtures of the portal tests: a `PortalWorld` per test and backend, and its TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.portal.world import PortalWorld, build_world


@pytest.fixture
def world(db: sessionmaker[Session], tmp_path: Path) -> PortalWorld:
    return build_world(db, tmp_path / "home")


@pytest.fixture
def client(world: PortalWorld) -> Iterator[TestClient]:
    with TestClient(world.app) as test_client:
        yield test_client
