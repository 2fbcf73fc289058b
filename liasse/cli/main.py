"""Entry point: builds the command tree and turns domain errors into one clear line.

Expected errors (`LiasseError`) print `Erreur : <message>` on stderr and exit with the error's
code, never a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

import liasse.cli as cli_package
from dossiers.errors import LiasseError
from dossiers.i18n import set_language, tr
from liasse.cli.context import err_console
from liasse.settings import get_settings

root = typer.Typer(
    name="liasse",
    help="Liasse: customer files, invoices, signatures, archive, Chorus Pro.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@root.callback()
def _main(
    lang: str = typer.Option(None, "--lang", help="fr (default) or en"),
) -> None:
    set_language(lang or get_settings().language)


def _register_subcommands() -> None:
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        if info.name in {"main", "context"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"liasse.cli.{info.name}")
        if hasattr(module, "register"):
            module.register(root)
        if hasattr(module, "app") and hasattr(module, "NAME"):
            root.add_typer(module.app, name=module.NAME)


_register_subcommands()


def app() -> None:
    try:
        root(standalone_mode=False)
    except LiasseError as exc:
        err_console.print(f"[bold red]{tr('Erreur', 'Error')} :[/] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    app()
