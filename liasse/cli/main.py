"""Entry point: builds the command tree and turns domain errors into one clear line.

Expected errors (`LiasseError`) print `Erreur : <message>` on stderr and exit with the error's
code, never a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import typer
from typer.core import TyperGroup

import liasse.cli as cli_package
from dossiers.errors import LiasseError
from dossiers.i18n import set_language, tr
from liasse.cli.context import err_console, settings


class _LazyGroup(TyperGroup):
    """Sub-commands are imported only when used, so `liasse files show` does not pay for
    WeasyPrint, pyHanko and Prefect imports. `liasse --help` still lists them all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_command_modules()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _command_modules():
            command = _load_command(cmd_name)
        return command


def _command_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if info.name not in {"main", "context"} and not info.name.startswith("_")
    ]


def _load_command(name: str) -> click.Command | None:
    """A module defines `app` (a Typer sub-app) or `register(root)` (top-level commands)."""
    module = importlib.import_module(f"liasse.cli.{name}")
    if hasattr(module, "app"):
        command = typer.main.get_command(module.app)
    else:
        holder = typer.Typer()
        module.register(holder)
        command = typer.main.get_command(holder)
        if isinstance(command, click.Group):
            command = command.get_command(click.Context(command), name)
    if command is not None:
        command.name = name
    return command


root = typer.Typer(
    name="liasse",
    cls=_LazyGroup,
    help="Liasse: customer files, invoices, signatures, archive, Chorus Pro.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@root.callback()
def _main(
    lang: str = typer.Option(None, "--lang", help="fr (default) or en"),
) -> None:
    set_language(lang or settings().language)


def app() -> None:
    try:
        root(standalone_mode=False)
    except LiasseError as exc:
        err_console.print(f"[bold red]{tr('Erreur', 'Error')} :[/] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    app()
