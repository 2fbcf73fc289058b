"""Flows of the Prefect spike (docs/prefect.md), served by a real `serve()` subprocess.

Each side effect appends one line to the file named by `SPIKE_LOG`, so the tests can see
exactly which code ran again after a resume (the flow restarts from the top).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prefect import flow, serve, task
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput


class Decision(RunInput):
    approved: bool
    reason: str = ""


def mark(what: str) -> None:
    with Path(os.environ["SPIKE_LOG"]).open("a") as log:
        log.write(what + "\n")


@task
def plain_step(file_id: str) -> str:
    mark(f"plain:{file_id}")
    return "plain"


@task(persist_result=True)
def persisted_step(file_id: str) -> str:
    mark(f"persisted:{file_id}")
    return "persisted"


@flow
def wait_once(file_id: str) -> str:
    plain_step(file_id)
    persisted_step(file_id)
    decision = suspend_flow_run(wait_for_input=Decision, key="step-1")
    mark(f"decided:{file_id}:{decision.approved}:{decision.reason}")
    return "done"


@flow
def wait_twice(file_id: str) -> str:
    first = suspend_flow_run(wait_for_input=Decision, key="step-1")
    mark(f"first:{file_id}:{first.approved}")
    second = suspend_flow_run(wait_for_input=Decision, key="step-2")
    mark(f"second:{file_id}:{second.approved}")
    return "done"


@flow(name="wait-timeout")
def wait_with_timeout(file_id: str) -> str:
    suspend_flow_run(wait_for_input=Decision, key="step-1", timeout=1)
    mark(f"never:{file_id}")
    return "done"


DEPLOYMENTS = {"wait-once": wait_once, "wait-twice": wait_twice, "wait-timeout": wait_with_timeout}

if __name__ == "__main__":
    print("serving", os.getpid(), file=sys.stderr)
    serve(*(f.to_deployment(name) for name, f in DEPLOYMENTS.items()), limit=None)
