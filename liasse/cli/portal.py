"""`liasse portal [--port N]`: the staff portal alone, on embedded defaults.

It serves `portal.app.create_app` over this command's `Services` (the database must be
migrated: `liasse db upgrade`). Decisions wake the files' flow runs when `PREFECT_API_URL`
points at a Prefect server (`liasse serve` starts one with the portal beside it); without one
they are recorded and the sweep (`liasse flow wake`) moves the runs on.
"""

from __future__ import annotations

import typer

from dossiers.i18n import tr
from liasse.cli.environment import console, services
from portal.settings import PortalSettings


def portal_command(
    port: int = typer.Option(None, "--port", help="Port (default LIASSE_PORTAL_PORT, 8000)."),
    host: str = typer.Option(None, "--host", help="Address (default LIASSE_PORTAL_HOST)."),
) -> None:
    """Start the staff portal (pages and JSON API) with uvicorn."""
    import uvicorn

    from portal.app import create_app

    settings = PortalSettings()
    host = host or settings.host
    port = port or settings.port
    app = create_app(services().acting_as("portal"), settings=settings)
    console.print(tr(f"Portail : http://{host}:{port}/", f"Portal: http://{host}:{port}/"),
                  highlight=False)
    uvicorn.run(app, host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips, log_level="info")


def register(root: typer.Typer) -> None:
    root.command("portal")(portal_command)
