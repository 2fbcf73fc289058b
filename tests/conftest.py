"""Shared fixtures: every database test runs on SQLite and on the machine's real PostgreSQL.

PostgreSQL: one throw-away database per test process (`liasse_t_<pid>`), created from the
server's `LIASSE_TEST_PG_URL` (default: postgres@127.0.0.1:5432/test), schema created once,
tables truncated between tests. SQLite: a fresh file per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

import application.schema.all_models  # noqa: F401
from dossiers.db import Base, make_engine, make_session_factory
from dossiers.i18n import set_language
from tests.vies.fixtures import checker, fake_vies, vies_server  # noqa: F401 (shared fixtures)

PG_ADMIN_URL = os.environ.get(
    "LIASSE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _french_by_default() -> Iterator[None]:
    """Each test starts in French: `liasse --lang en` run in-process sets it for the process."""
    set_language("fr")
    yield
    set_language("fr")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a private PostgreSQL database for this test process, dropped at the end."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"liasse_t_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    """Delete every row and restart every sequence.

    DELETE on small tables is ~100x faster than TRUNCATE of the whole schema (which rewrites
    every table file), and that setup cost is paid by every PostgreSQL test.
    """
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine on an empty schema; the test runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "liasse.db"
        engine = make_engine(f"sqlite:///{path}")
        Base.metadata.create_all(engine)
        request.addfinalizer(engine.dispose)
        return engine
    engine = request.getfixturevalue("pg_engine")
    _empty_all_tables(engine)
    return engine


@pytest.fixture
def db(db_engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the per-backend engine (use with `dossiers.db.transaction`)."""
    return make_session_factory(db_engine)


@pytest.fixture
def session(db: sessionmaker[Session]) -> Iterator[Session]:
    with db() as s:
        yield s


class CliRun:
    """`liasse ARGS` in-process on a test home; `.text` is the output with rich's wrapping
    undone (long lines are folded in a narrow terminal)."""

    def __init__(self, home: object) -> None:
        from typer.testing import CliRunner

        self.home = home
        self._runner = CliRunner()

    def __call__(self, *args: str, lang: str = "fr"):  # -> click.testing.Result
        from liasse.cli.main import root

        result = self._runner.invoke(root, ["--lang", lang, *args], catch_exceptions=True)
        result.text = " ".join(result.output.split())
        return result

    def run(self, *args: str, lang: str = "fr"):  # -> click.testing.Result
        """The same through `liasse.cli.main.run`, the console script's path: a failure comes
        out as the user sees it (one line on `.stderr`, the contract's exit code)."""
        import sys

        from typer.testing import Result

        from liasse.cli import main

        with self._runner.isolation() as streams:
            code = main.run(["--lang", lang, *args])  # reports every failure, raises none
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr, output = (stream.getvalue() for stream in streams)
        result = Result(runner=self._runner, stdout_bytes=stdout, stderr_bytes=stderr,
                        output_bytes=output, return_value=code, exit_code=code,
                        exception=None, exc_info=None)
        result.text = " ".join(result.output.split())
        return result


@pytest.fixture
def cli(db_engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRun]:
    """The one CLI fixture: a fresh `LIASSE_HOME`, the per-backend database stamped at the
    migrations' head (its schema comes from `create_all`), caches cleared before and after."""
    from alembic import command

    from application.schema import migrate
    from liasse.cli import environment

    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    url = db_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("LIASSE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables keep whole values on one line
    command.stamp(migrate.alembic_config(url), "head")
    environment.clear_caches()
    yield CliRun(tmp_path)
    environment.clear_caches()
