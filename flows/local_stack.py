"""Everything Liasse runs on one machine, as child processes: `liasse serve` and `liasse demo`.

- a Prefect server (`LocalPrefectServer`, its SQLite file under `<LIASSE_HOME>/prefect`),
  unless an API URL is given (a shared server: scale-out);
- `flows.serve.serve_flows` in a child process: every deployment of `prefect.yaml`, each flow
  run in its own short-lived subprocess, a suspended run holding nothing;
- the portal (uvicorn) when it exists and a port is given.

The children share one environment (`PREFECT_API_URL`, the `LIASSE_*` settings), so the CLI and
the portal resume suspended file runs through the same API. Children get their own session:
Ctrl-C reaches the parent only, which stops them *before* the server they talk to (a `serve`
whose server vanished first hangs on shutdown).

Stopping first *drains* the flow server: a run that has just suspended keeps its process for a
few seconds (logs, exit), and a `serve` stopped meanwhile marks that run Cancelled ("Runner is
shutting down") -- a waiting file would lose its run. So `stop` waits, up to `drain_seconds`,
until the flow server has no flow-run process left.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from prefect import get_client
from prefect.exceptions import ObjectNotFound

from flows.local_server import LocalPrefectServer, prefect_environment, stop_process
from flows.serve import ENGINE_DEFAULTS

SERVE_FLOWS = "from flows.serve import serve_flows; serve_flows(limit={limit})"
PORTAL_APP = "portal.app"


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, exited-but-unreaped ones included (Linux /proc)."""
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


def portal_available() -> bool:
    return importlib.util.find_spec(PORTAL_APP) is not None


class LocalStack:
    """Start the server (if needed), the flow server and the portal; stop them in reverse."""

    def __init__(
        self,
        home: Path,
        *,
        port: int | None = 4200,
        api_url: str | None = None,
        limit: int | None = None,
        portal_port: int | None = None,
        poll_seconds: float = 2,
        log_file: Path | None = None,
    ) -> None:
        self.home = home.resolve()
        self.prefect_home = self.home / "prefect"
        self.server = None if api_url else LocalPrefectServer(self.prefect_home, port=port)
        self._api_url = api_url
        self.limit = limit
        self.portal_port = portal_port if portal_available() else None
        self.poll_seconds = poll_seconds
        self.log_file = log_file
        self.children: list[subprocess.Popen[bytes]] = []

    @property
    def api_url(self) -> str:
        return self.server.api_url if self.server else str(self._api_url)

    @property
    def ui_url(self) -> str:
        """Where the Prefect UI shows the runs (the API URL without its `/api`)."""
        return self.api_url.removesuffix("/api")

    def flow_run_url(self, flow_run_id: object) -> str:
        return f"{self.ui_url}/runs/flow-run/{flow_run_id}"

    def environment(self) -> dict[str, str]:
        env = prefect_environment(
            self.prefect_home, self.api_url,
            # how soon a created or resumed run is picked up (Prefect's default is 10 s)
            PREFECT_RUNNER_POLL_FREQUENCY=str(self.poll_seconds),
        )
        for name, value in ENGINE_DEFAULTS.items():
            env.setdefault(name, value)
        return env

    def commands(self) -> list[list[str]]:
        commands = [[sys.executable, "-c", SERVE_FLOWS.format(limit=self.limit)]]
        if self.portal_port is not None:
            commands.append([sys.executable, "-m", "uvicorn", f"{PORTAL_APP}:app", "--host",
                             "127.0.0.1", "--port", str(self.portal_port)])
        return commands

    def start(self, timeout: float = 120) -> LocalStack:
        if self.server is not None:
            self.server.start(timeout=timeout)
        env = self.environment()
        output = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            output = self.log_file.open("ab")
        try:
            for command in self.commands():
                self.children.append(subprocess.Popen(
                    command, env=env, cwd=Path.cwd(), start_new_session=True,
                    stdout=output, stderr=output))
        except BaseException:
            self.stop()
            raise
        finally:
            if output is not None:
                output.close()
        return self

    def wait_for_deployment(self, name: str, timeout: float = 120) -> None:
        """Block until `serve` has registered `flow/deployment` (it does so when it starts)."""
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while True:
                try:
                    client.read_deployment_by_name(name)
                    return
                except ObjectNotFound:
                    pass
                if any(child.poll() is not None for child in self.children):
                    raise RuntimeError(f"a Liasse process exited while waiting for {name}; "
                                       f"see {self.log_file or 'its output'}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"deployment {name} not served after {timeout:.0f} s")
                time.sleep(0.5)

    def wait(self) -> None:
        """Block until every child exits (`liasse serve` runs until Ctrl-C)."""
        for child in self.children:
            child.wait()

    def drain(self, timeout: float = 30) -> bool:
        """Wait until no child runs a flow-run process; False if some still do at `timeout`."""
        deadline = time.monotonic() + timeout
        while any(child_pids(child.pid) for child in self.children if child.poll() is None):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def stop(self, grace: float = 20, drain_seconds: float = 30) -> None:
        self.drain(drain_seconds)
        for child in self.children:
            child.terminate()  # all at once; each then gets its grace
        for child in self.children:
            stop_process(child, grace)
        self.children = []
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
