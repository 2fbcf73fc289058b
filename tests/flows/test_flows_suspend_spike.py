"""The Prefect spike, as tests: suspend/resume with typed input through a real `serve()` process.

What these pin down (see docs/prefect.md): a suspended run holds no process; a resume re-runs
the flow from the top (only persisted task results are skipped); the server validates the
input against the RunInput schema; a double resume is refused; an expired wait fails on resume.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from prefect.deployments import run_deployment
from prefect.exceptions import FlowPauseTimeout, NotPausedError
from prefect.flow_runs import resume_flow_run
from prefect_support import (
    child_pids,
    is_suspended,
    thread_count,
    wait_for_state,
    wait_until_no_children,
)

pytestmark = [pytest.mark.usefixtures("served"), pytest.mark.xdist_group("prefect")]


def start(deployment: str, file_id: str):
    return run_deployment(deployment, parameters={"file_id": file_id}, timeout=0)


def test_suspend_waits_for_typed_input_and_resume_reruns_from_the_top(served) -> None:
    run = start("wait-once/wait-once", "A")
    suspended = wait_for_state(run.id, is_suspended)
    details = suspended.state.state_details
    assert suspended.state.name == "Suspended"
    assert details.pause_key == "step-1" and details.pause_reschedule is True
    assert details.pause_timeout is None  # no timeout unless one is passed
    assert details.run_input_keyset == {
        "description": "suspended-step-1-description",
        "response": "suspended-step-1-response",
        "schema": "suspended-step-1-schema",
    }

    resume_flow_run(run.id, run_input={"approved": True, "reason": "ok"})

    done = wait_for_state(run.id, lambda s: s.is_final())
    assert done.state.is_completed()
    mine = [line for line in served.lines() if line.endswith(":A") or ":A:" in line]
    # The flow ran twice from the top: the plain task again, the persisted one only once.
    assert mine == ["plain:A", "persisted:A", "plain:A", "decided:A:True:ok"]


def test_rest_resume_checks_input_against_the_schema_and_refuses_a_double_resume(
    prefect_api: str,
) -> None:
    run = start("wait-once/wait-once", "B")
    wait_for_state(run.id, is_suspended)
    api = httpx.Client(base_url=prefect_api, timeout=10)
    url = f"/flow_runs/{run.id}/resume"

    wrong_type = api.post(url, json={"run_input": {"approved": "maybe"}})
    assert wrong_type.status_code == 200
    assert wrong_type.json()["status"] == "REJECT"
    assert wrong_type.json()["details"]["reason"].startswith("Reason: ")
    missing = api.post(url, json={})
    assert (missing.status_code, missing.json()["status"]) == (200, "REJECT")
    assert wait_for_state(run.id, is_suspended).state.name == "Suspended"  # unchanged

    accepted = api.post(url, json={"run_input": {"approved": False, "reason": "missing RIB"}})
    assert accepted.status_code == 201
    assert (accepted.json()["status"], accepted.json()["state"]["name"]) == ("ACCEPT", "Resuming")

    again = api.post(url, json={"run_input": {"approved": True}})
    assert again.status_code == 200
    assert again.json() == {
        "state": None,
        "status": "ABORT",
        "details": {
            "type": "abort_details",
            "reason": "Cannot resume a flow run that is not paused.",
        },
    }
    with pytest.raises(NotPausedError, match=r"Cannot resume a run that isn't paused!"):
        resume_flow_run(run.id, run_input={"approved": True})

    assert wait_for_state(run.id, lambda s: s.is_final()).state.is_completed()
    with pytest.raises(NotPausedError):
        resume_flow_run(run.id, run_input={"approved": True})


def test_a_separate_process_resumes_the_run(prefect_api: str, served) -> None:
    run = start("wait-once/wait-once", "C")
    wait_for_state(run.id, is_suspended)
    code = (
        "import sys, uuid\n"
        "from prefect.flow_runs import resume_flow_run\n"
        "resume_flow_run(uuid.UUID(sys.argv[1]), run_input={'approved': True, 'reason': 'cli'})\n"
    )
    env = dict(os.environ, PREFECT_API_URL=prefect_api)
    subprocess.run([sys.executable, "-c", code, str(run.id)], env=env, check=True, timeout=60)
    assert wait_for_state(run.id, lambda s: s.is_final()).state.is_completed()
    assert "decided:C:True:cli" in served.lines()


def test_each_suspension_key_replays_its_stored_input(served) -> None:
    run = start("wait-twice/wait-twice", "D")
    wait_for_state(run.id, is_suspended)
    resume_flow_run(run.id, run_input={"approved": True})
    wait_for_state(run.id, lambda s: s.is_paused() and s.state_details.pause_key == "step-2")
    resume_flow_run(run.id, run_input={"approved": False})
    assert wait_for_state(run.id, lambda s: s.is_final()).state.is_completed()
    mine = [line for line in served.lines() if ":D:" in line]
    # On the second resume the first suspend returned its stored input at once (same key).
    assert mine == ["first:D:True", "first:D:True", "second:D:False"]


def test_an_expired_suspension_fails_when_resumed() -> None:
    run = start("wait-timeout/wait-timeout", "E")
    wait_for_state(run.id, is_suspended)
    time.sleep(1.5)  # the timeout is measured by the server's clock; no way to inject it
    # The test server runs no pause-expiration service: the run stays Suspended until touched.
    with pytest.raises(FlowPauseTimeout, match=r"Flow run can no longer be resumed\."):
        resume_flow_run(run.id, run_input={"approved": True})
    failed = wait_for_state(run.id, lambda s: s.is_final())
    assert failed.state.is_failed()


@pytest.mark.parametrize("count", [5, pytest.param(50, marks=pytest.mark.slow)])
def test_suspended_runs_hold_no_process_and_no_thread(served, count: int) -> None:
    warm = start("wait-once/wait-once", "warm-up")
    wait_for_state(warm.id, is_suspended)
    wait_until_no_children(served.pid)
    threads_before = thread_count(served.pid)

    runs = [start("wait-once/wait-once", f"N{i}") for i in range(count)]
    for run in runs:
        wait_for_state(run.id, is_suspended, timeout=30 + 5 * count)

    wait_until_no_children(served.pid)
    assert child_pids(served.pid) == []
    assert thread_count(served.pid) <= threads_before + 2
