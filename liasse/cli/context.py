"""What every command needs: settings, a database session factory, a console."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import make_engine, make_session_factory
from liasse.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker[Session]:
    s = get_settings()
    s.ensure_home()
    return make_session_factory(make_engine(s.resolved_database_url))
