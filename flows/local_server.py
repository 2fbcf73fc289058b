"""A Prefect server process for one machine: `liasse serve` and the integration tests.

`prefect server start` runs in a subprocess with its own `PREFECT_HOME` (under `LIASSE_HOME`) and
either its SQLite file (embedded default) or a PostgreSQL URL (scale-out). Everything else --
`serve()`, workers, the portal, the CLI resuming a step -- talks to it through
`PREFECT_API_URL`, which `api_url` gives. The ephemeral server Prefect starts by itself is not
enough: it listens on a random port only its parent process knows, so the CLI could not resume.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prefect_environment(home: Path, api_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a Prefect process of this installation (server, serve, worker, CLI)."""
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_SHOW_PROMOTIONAL_CONTENT="false",
        PREFECT_LOGGING_TO_API_BATCH_INTERVAL="0.5",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    env.update(extra)
    return env


class LocalPrefectServer:
    """Start `prefect server start` on 127.0.0.1, wait until healthy, stop on exit."""

    def __init__(
        self,
        home: Path,
        *,
        port: int | None = None,
        database_url: str | None = None,
        ui: bool = True,
        log_file: Path | None = None,
    ) -> None:
        self.home = home
        self.port = port or free_port()
        self.database_url = database_url
        self.ui = ui
        self.log_file = log_file or home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def environment(self, **extra: str) -> dict[str, str]:
        return prefect_environment(self.home, self.api_url, **extra)

    def start(self, timeout: float = 60) -> LocalPrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        extra = {"PREFECT_SERVER_UI_ENABLED": "true" if self.ui else "false"}
        if self.database_url:
            extra["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = self.database_url
        env = prefect_environment(self.home, **extra)
        env.pop("PREFECT_API_URL", None)
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--analytics-off"]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited; see {self.log_file}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"prefect server not healthy after {timeout}s; see {self.log_file}")

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process, grace=15)
        self.process = None

    def __enter__(self) -> LocalPrefectServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
