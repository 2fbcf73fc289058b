"""`liasse demo`: the whole product on embedded defaults, in a fresh folder, told in chapters.

1. schema migrated (`schema`)            5. an invoicing batch through the Factur-X gate
2. staff and roles                       6. Chorus Pro deposit and follow-up (fake server)
3. customers of every type               7. legal archive verified, a document found
4. customer files on the default circuit 8. summary, audit chain verified
   (with the SMS-code contract signature)

Each chapter is a small module calling the real public functions of `dossiers`, `documents`,
`signing` and `connectors`; reading them in order shows how the product fits together.
`run(home)` expects the process settings to point at `home` already (`home.prepare`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from application.schema import migrate
from application.services import build_services
from application.settings import Settings
from dossiers.i18n import tr
from liasse.demo.archive import check_archive
from liasse.demo.chorus import deposit_and_follow
from liasse.demo.files import walk_files
from liasse.demo.invoices import issue_batch
from liasse.demo.staff_and_customers import create_customers, create_staff
from liasse.demo.state import Demo
from liasse.demo.summary import show_summary


def migrate_schema(home: Path, console: Console) -> str:
    """Chapter 1: `alembic upgrade head` on the SQLite file of the home folder."""
    settings = Settings()
    settings.ensure_home()
    url = settings.resolved_database_url
    migrate.upgrade(url)
    done = tr("schéma migré (alembic upgrade head) :", "schema migrated (alembic upgrade head):")
    console.print(f"  [green]✓[/] {done} {url}", highlight=False)
    return url


def run(home: Path, console: Console) -> dict[str, Any]:
    """Play every chapter in `home`; returns the summary figures."""
    demo_console = console
    demo_console.print(tr(f"[bold]Démo Liasse[/] — dossier : {home.resolve()}",
                          f"[bold]Liasse demo[/] — folder: {home.resolve()}"), highlight=False)
    Demo.chapter_static(demo_console, 1, "Base de données", "Database")
    migrate_schema(home, demo_console)
    # The demo's one composition root, as any entry point builds it (no Chorus Pro or VIES
    # client: chapter 6 and the VIES check bring their bundled fakes).
    services = build_services(Settings(), chorus=None, vies=None, actor="demo:flow")
    try:
        demo = Demo(home=home, factory=services.factory, console=demo_console,
                    profile=services.profile, actions=services)
        create_staff(demo)
        create_customers(demo)
        walk_files(demo)
        issue_batch(demo)
        deposit_and_follow(demo)
        check_archive(demo)
        return show_summary(demo)
    finally:
        services.factory.kw["bind"].dispose()
