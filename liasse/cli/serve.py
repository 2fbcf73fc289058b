"""`liasse serve`: everything on one machine — a local Prefect server (UI included), every
deployment of `prefect.yaml` served (`flows/serve.py`), and the portal once it exists.

`flows.local_stack.LocalStack` starts the parts (the demo uses it too). With `PREFECT_API_URL`
already set, that server is used instead of starting one. Ctrl-C stops the children, then the
local server.
"""

from __future__ import annotations

import os
import signal

import typer

from dossiers.i18n import tr
from flows.local_stack import LocalStack, portal_available
from flows.serve import runner_deployments
from liasse.cli.environment import console, settings


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
    settings().ensure_home()
    if not portal_available():
        console.print(tr("[dim]portail absent (portal/app.py) : non démarré[/]",
                         "[dim]no portal yet (portal/app.py): not started[/]"))
    stack = LocalStack(settings().home, port=port, api_url=os.environ.get("PREFECT_API_URL"),
                       limit=limit, portal_port=portal_port)
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager stops us like Ctrl-C does
    try:
        stack.start()
        console.print(tr(f"Interface Prefect : {stack.ui_url}", f"Prefect UI: {stack.ui_url}"),
                      highlight=False)
        stack.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def register(root: typer.Typer) -> None:
    root.command("serve")(serve_command)
