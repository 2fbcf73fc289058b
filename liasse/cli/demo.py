"""`liasse demo`: build a realistic data set in a fresh folder and walk it through the product.

The folder is `var/demo/<YYYYmmdd-HHMMSS>/` under the current directory, or `LIASSE_HOME` when
set (refused if it already holds a database). Everything runs on embedded defaults and local
fakes: no network, nothing written outside that folder.
"""

from __future__ import annotations

import time

import typer

from dossiers.i18n import set_language, tr
from liasse.cli.environment import clear_caches, console
from liasse.demo import run
from liasse.demo.home import choose_home, use_embedded_defaults


def demo_command(
    lang: str = typer.Option(None, "--lang", help="fr (default) or en."),
) -> None:
    """Run the whole demo (customers, files, signature, invoices, archive, Chorus Pro)."""
    if lang:
        set_language("en" if lang.lower().startswith("en") else "fr")
    home = choose_home()
    dropped = use_embedded_defaults(home)
    clear_caches()  # settings, database and services are rebuilt for the demo's home
    if dropped:
        console.print(tr(f"[dim]La démo tourne sur les réglages embarqués ; ignorés : "
                         f"{', '.join(dropped)}[/]",
                         f"[dim]The demo runs on embedded defaults; ignored: "
                         f"{', '.join(dropped)}[/]"), highlight=False)
    started = time.monotonic()
    run(home, console)
    console.print(tr(f"[bold green]Démo terminée[/] en {time.monotonic() - started:.0f} s.",
                     f"[bold green]Demo finished[/] in {time.monotonic() - started:.0f} s."))


def register(root: typer.Typer) -> None:
    root.command("demo")(demo_command)
