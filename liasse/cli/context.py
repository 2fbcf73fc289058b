"""What every command needs: settings, a database session factory, a console."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Console
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import make_engine, make_session_factory
from dossiers.errors import LiasseError
from liasse.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database, refusing one that was never migrated."""
    s = get_settings()
    s.ensure_home()
    engine = make_engine(s.resolved_database_url)
    if not inspect(engine).has_table("alembic_version"):
        raise NotMigrated(
            "la base de données n'est pas initialisée : lancez `liasse db upgrade`.",
            "the database is not initialised: run `liasse db upgrade`.",
        )
    return make_session_factory(engine)


def clear_caches() -> None:
    """Forget the settings and what this process built from them (database engine, signing
    PKI): the next command reads the environment again. For a process that changes
    `LIASSE_*` between commands (the demo, tests)."""
    from signing.pki.context import default_signing_pki
    from signing.settings import get_signing_settings

    for cached in (get_settings, session_factory, default_signing_pki, get_signing_settings):
        cached.cache_clear()


class NotMigrated(LiasseError):
    exit_code = 9
