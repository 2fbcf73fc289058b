"""Suspended customer-file-like runs: what N waiting runs cost (processes, threads, rows, time).

Starts Prefect's test server, a `serve()` subprocess with one flow that suspends for typed
input, creates N runs and waits until all are Suspended; prints the time taken, the serve
process's threads and children before/after, and rows per run in the server's database.
Usage: `.venv/bin/python -m bench.suspended_runs [N]` (default 100; 1,000 takes ~15 min of CPU
on 2 cores because each run starts a Python process once, then waits for free).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from prefect import flow, serve
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

TABLES = ("flow_run", "flow_run_state", "flow_run_input", "log", "events")


class Decision(RunInput):
    approved: bool


@flow(name="bench-wait")
def bench_wait(n: int) -> None:
    suspend_flow_run(wait_for_input=Decision, key="step-1")


def _children(pid: int) -> int:
    count = 0
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        count += int(stat.rsplit(")", 1)[1].split()[1]) == pid
    return count


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _rows(db: str) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def main(count: int) -> None:
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_test_harness(server_startup_timeout=120):
        db = PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split("///", 1)[1]
        env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value())
        env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
        served = subprocess.Popen(
            [sys.executable, "-m", "bench.suspended_runs", "--serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with get_client(sync_client=True) as client:
                while True:
                    try:
                        client.read_deployment_by_name("bench-wait/bench-wait")
                        break
                    except Exception:
                        time.sleep(0.5)
                before = (_threads(served.pid), _children(served.pid), _rows(db))
                started = time.monotonic()
                ids = [
                    run_deployment("bench-wait/bench-wait", parameters={"n": i}, timeout=0).id
                    for i in range(count)
                ]
                peak = 0
                for run_id in ids:
                    while not client.read_flow_run(run_id).state.is_paused():
                        peak = max(peak, _children(served.pid))
                        time.sleep(0.2)
                elapsed = time.monotonic() - started
                while _children(served.pid):
                    time.sleep(0.2)
                after = (_threads(served.pid), _children(served.pid), _rows(db))
        finally:
            served.terminate()
            served.wait(timeout=30)
    print(f"{count} runs suspended in {elapsed:.1f} s ({elapsed / count:.2f} s/run wall)")
    print(
        f"serve process: threads {before[0]} -> {after[0]}, children {before[1]} -> "
        f"{after[1]} (peak {peak} while starting)"
    )
    for table in TABLES:
        print(f"  {table}: {(after[2][table] - before[2][table]) / count:.1f} rows per run")


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve(bench_wait.to_deployment("bench-wait"), limit=None, print_starting_message=False)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
