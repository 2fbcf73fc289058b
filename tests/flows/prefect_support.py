"""Helpers for flow tests: waiting on flow-run states, counting a process's threads/children."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import FlowRun, State


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


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc; psutil is not installed)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry))
    return children


def wait_until_no_children(pid: int, timeout: float = 30) -> list[int]:
    """A suspended run's process exits shortly *after* the Suspended state is visible."""
    deadline = time.monotonic() + timeout
    while (children := child_pids(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return children
