"""Prefect fixtures: one test server per session, and a real `serve()` process for the spike.

`prefect_test_harness` starts Prefect's API server in a subprocess (SQLite in a temp folder) and
points `PREFECT_API_URL` at it; every flow run, deployment and resume in these tests goes
through that real API. No `__init__.py` here on purpose: a `tests/flows` package would be
imported as `flows` and shadow the project's `flows` package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect import get_client
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_test_harness(server_startup_timeout=60):
        yield PREFECT_API_URL.value()


@dataclass
class Served:
    """A `serve()` subprocess running the spike deployments."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []


@pytest.fixture(scope="module")
def served(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    log = folder / "spike.log"
    env = dict(
        os.environ,
        PREFECT_API_URL=prefect_api,
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        SPIKE_LOG=str(log),
        PREFECT_HOME=str(folder / "prefect-home"),
    )
    with (folder / "serve.log").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "spike_flows.py"], cwd=HERE, env=env, stdout=out, stderr=out
        )
    try:
        _wait_for_deployments(["wait-once/wait-once", "wait-timeout/wait-timeout"], process)
        yield Served(process, log)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for_deployments(names: list[str], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        for name in names:
            while True:
                try:
                    client.read_deployment_by_name(name)
                    break
                except Exception as exc:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            "serve() process did not register its deployments"
                        ) from exc
                    time.sleep(0.3)
