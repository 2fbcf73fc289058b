"""`LocalStack.stop` drains the flow server before stopping it.

A `serve` stopped while a just-suspended run's process is still exiting marks that run
Cancelled, so `stop` waits until its children have no child process left. Here the "flow
server" is a small Python process with one child (a stand-in for a flow-run process, reaped as
the runner does); on SIGTERM it writes down whether that child was still running.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from flows.local_stack import LocalStack

FLOW_SERVER = """
import pathlib, signal, subprocess, sys, time
run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep({seconds})"])
def stopped(*_):
    pathlib.Path({mark!r}).write_text("running" if run.poll() is None else "exited")
    sys.exit(0)
signal.signal(signal.SIGTERM, stopped)
pathlib.Path({ready!r}).touch()
while True:
    run.poll()
    time.sleep(0.05)
"""


class OneRunStack(LocalStack):
    def __init__(self, home: Path, run_seconds: float) -> None:
        super().__init__(home, api_url="http://127.0.0.1:9/api")  # no server to start
        self.run_seconds = run_seconds
        self.mark, self.ready = home / "mark", home / "ready"

    def commands(self) -> list[list[str]]:
        script = FLOW_SERVER.format(seconds=self.run_seconds, mark=str(self.mark),
                                    ready=str(self.ready))
        return [[sys.executable, "-c", script]]


def started(stack: OneRunStack) -> OneRunStack:
    stack.start()
    deadline = time.monotonic() + 30
    while not stack.ready.exists():
        assert time.monotonic() < deadline, "the stand-in flow server did not start"
        time.sleep(0.05)
    return stack


def test_stop_waits_for_the_flow_run_process_to_exit(tmp_path: Path) -> None:
    stack = started(OneRunStack(tmp_path, run_seconds=1.5))
    stack.stop()
    assert stack.mark.read_text() == "exited"
    assert stack.children == []


def test_stop_gives_up_draining_after_its_deadline(tmp_path: Path) -> None:
    stack = started(OneRunStack(tmp_path, run_seconds=60))
    clock = time.monotonic()
    stack.stop(drain_seconds=1)
    assert stack.mark.read_text() == "running"  # stopped anyway: the runner cancels it
    assert time.monotonic() - clock < 30
