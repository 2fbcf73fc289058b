"""`liasse serve`: everything on one machine — a local Prefect server (UI included), every
deployment of `prefect.yaml` served (`flows/serve.py`), and the portal once it exists.

Each part is a child process sharing one environment (`PREFECT_API_URL` of the local server,
the `LIASSE_*` settings), so the CLI and the portal resume suspended file runs through the same
API. With `PREFECT_API_URL` already set, that server is used instead of starting one.
Ctrl-C stops the children, then the local server.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from dossiers.i18n import tr
from flows.local_server import LocalPrefectServer, prefect_environment
from flows.serve import ENGINE_DEFAULTS, runner_deployments
from liasse.cli.context import console, settings

SERVE_FLOWS = "from flows.serve import serve_flows; serve_flows(limit={limit})"


def _children(env: dict[str, str], limit: int | None, portal_port: int) -> list[list[str]]:
    commands = [[sys.executable, "-c", SERVE_FLOWS.format(limit=limit)]]
    if importlib.util.find_spec("portal.app") is not None:
        commands.append([sys.executable, "-m", "uvicorn", "portal.app:app", "--host",
                         "127.0.0.1", "--port", str(portal_port)])
    else:
        console.print(tr("[dim]portail absent (portal/app.py) : non démarré[/]",
                         "[dim]no portal yet (portal/app.py): not started[/]"))
    return commands


def serve_command(
    port: int = typer.Option(4200, "--port", help="Port of the local Prefect server and UI."),
    portal_port: int = typer.Option(8000, "--portal-port", help="Port of the portal."),
    limit: int | None = typer.Option(None, "--limit", help="Max flow runs running at once."),
    check: bool = typer.Option(False, "--check", help="List what would be served, then exit."),
) -> None:
    """Run Liasse on this machine: Prefect server + UI, every deployment, the portal."""
    names = [d.name for d in runner_deployments()]
    console.print(tr(f"Déploiements servis : {', '.join(names)}",
                     f"Deployments served: {', '.join(names)}"), highlight=False)
    if check:
        return
    home = settings().home.resolve()
    settings().ensure_home()
    server = None
    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        server = LocalPrefectServer(home / "prefect", port=port).start(timeout=120)
        api_url = server.api_url
        console.print(tr(f"Interface Prefect : {server.url}", f"Prefect UI: {server.url}"),
                      highlight=False)
    env = prefect_environment(home / "prefect", api_url)
    for name, value in ENGINE_DEFAULTS.items():
        env.setdefault(name, value)
    # Own sessions: Ctrl-C reaches this process only, which stops the children before the
    # server they talk to (a `serve` whose server vanished first hangs on shutdown).
    processes = [subprocess.Popen(c, env=env, cwd=Path.cwd(), start_new_session=True)
                 for c in _children(env, limit, portal_port)]
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager stops us like Ctrl-C does
    try:
        for process in processes:
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            _stop(process)
        if server is not None:
            server.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def register(root: typer.Typer) -> None:
    root.command("serve")(serve_command)
