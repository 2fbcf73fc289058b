"""What every command needs: settings, the composition root, a console.

The CLI process builds one `Services` (the application's composition root) the first time a
command needs it and passes it to the application services; `session_factory()` alone is
cheaper for the commands that only read the database. `clear_caches()` forgets both, for a
process that changes `LIASSE_*` between commands (the demo, tests).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.console import Console
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from application.settings import Settings
from dossiers.db import make_engine, make_session_factory
from dossiers.errors import LiasseError

if TYPE_CHECKING:
    from application.services import Services

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The `LIASSE_*` settings, read once per command."""
    return Settings()


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database, refusing one that was never migrated."""
    s = settings()
    s.ensure_home()
    engine = make_engine(s.resolved_database_url)
    if not inspect(engine).has_table("alembic_version"):
        raise NotMigrated(
            "la base de données n'est pas initialisée : lancez `liasse db upgrade`.",
            "the database is not initialised: run `liasse db upgrade`.",
        )
    return make_session_factory(engine)


@lru_cache(maxsize=1)
def services() -> Services:
    """This command's composition root, on the checked database (imported here: the
    commands that only read the database do not load the signing and connector stacks)."""
    from application.services import build_services

    return build_services(settings(), session_factory(), actor="cli")


def clear_caches() -> None:
    """Forget the settings and what this process built from them (database engine, services
    with their signing PKI): the next command reads the environment again."""
    for cached in (settings, session_factory, services):
        cached.cache_clear()


class NotMigrated(LiasseError):
    exit_code = 9
