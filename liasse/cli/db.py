"""`liasse db upgrade|revision`: schema migrations."""

from __future__ import annotations

import typer

from application.schema import migrate
from liasse.cli.environment import console, settings

NAME = "db"
app = typer.Typer(help="Base de données : migrations. / Database migrations.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    s = settings()
    s.ensure_home()
    migrate.upgrade(s.resolved_database_url, revision)
    console.print(f"[green]OK[/] schéma à jour ({revision}).")


@app.command()
def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(settings().resolved_database_url, message)
