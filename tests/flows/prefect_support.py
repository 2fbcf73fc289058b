"""Helpers for flow tests: waiting on flow-run states, counting a process's threads/children,
and the pieces of the real-server tests (a fresh PostgreSQL database, `prefect server` on it,
`prefect deploy` from prefect.yaml and a `prefect worker` process on the `liasse` pool)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.objects import FlowRun, State
from sqlalchemy import text

from dossiers.db import make_engine
from flows.local_server import LocalPrefectServer
from flows.local_stack import child_pids

REPO = Path(__file__).resolve().parents[2]
PG = "postgres@127.0.0.1:5432"


def wait_for_state(
    flow_run_id: UUID, predicate: Callable[[State], bool], timeout: float = 60
) -> FlowRun:
    """Poll the API until the run's state satisfies `predicate` (the runner works async)."""
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and predicate(run.state):
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"flow run {flow_run_id} still {run.state!r}")
            time.sleep(0.2)


def is_suspended(state: State) -> bool:
    return state.is_paused()


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def wait_until_no_children(pid: int, timeout: float = 30) -> list[int]:
    """A suspended run's process exits shortly *after* the Suspended state is visible."""
    deadline = time.monotonic() + timeout
    while (children := child_pids(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return children


@contextmanager
def fresh_postgres_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database `name` (dropped first if left over); dropped after."""
    admin = make_engine(f"postgresql+psycopg://{PG}/test", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def prefect_on_postgres(tmp_path: Path) -> Iterator[LocalPrefectServer]:
    """A real `prefect server start` on its own PostgreSQL database, stopped and dropped after."""
    with fresh_postgres_database(f"prefect_t_{os.getpid()}") as name:
        server = LocalPrefectServer(
            tmp_path / "prefect-home", database_url=f"postgresql+asyncpg://{PG}/{name}", ui=False
        )
        with server:
            yield server


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run a command from the repository root; fail the test with its output unless it exits 0."""
    done = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


@contextmanager
def customer_file_worker(env: dict[str, str], folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`prefect work-pool create liasse`, `prefect deploy --name customer-file` (prefect.yaml),
    then a `prefect worker` on that pool with `env`; the worker is always stopped after.

    `env` needs `LIASSE_CODE_DIR` (the deployment's pull step) and should set
    `PREFECT_WORKER_QUERY_SECONDS` low, or each resume waits up to 10 s for the next poll.
    """
    python = sys.executable
    run_cli(env, python, "-m", "prefect", "work-pool", "create", "liasse", "--type", "process")
    out = run_cli(env, python, "-m", "prefect", "--no-prompt", "deploy", "--name", "customer-file")
    assert "customer-file/customer-file" in out, out
    with (folder / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [python, "-m", "prefect", "worker", "start", "--pool", "liasse"],
            cwd=folder, env=env, stdout=log, stderr=log,
        )
    try:
        yield worker
    finally:
        runs = child_pids(worker.pid)  # flow runs still executing if the test failed midway
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        for pid in runs:
            with suppress(OSError):  # gone already; check it is still our flow-run process
                if b"prefect" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)
