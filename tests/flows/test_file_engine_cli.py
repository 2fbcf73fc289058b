"""`liasse flow start|decide` on a real file: the CLI records the decision through the domain,
then resumes the suspended run through Prefect's API; bad decisions exit non-zero, unchanged."""

from __future__ import annotations

from uuid import UUID

import pytest
from alembic import command
from file_world import (  # noqa: F401  (fixtures)
    World,
    fake_twilio_server,
    pki_home,
    world_fixture,
)
from test_file_engine_flow import deployment, execute, paused_on, runtime, waiting_row  # noqa: F401
from typer.testing import CliRunner

from application.schema import migrate
from dossiers.files import service
from flows.runtime import Runtime
from liasse.cli import environment
from liasse.cli.main import root

pytestmark = pytest.mark.xdist_group("prefect")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(root, ["--lang", "en", *args])
    try:
        errors = result.stderr
    except ValueError:  # stderr not captured apart
        errors = ""
    return result.exit_code, result.output + errors + repr(result.exception)


@pytest.fixture
def cli_on_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    engine = world.db.kw["bind"]
    url = engine.url.render_as_string(hide_password=False)
    command.stamp(migrate.alembic_config(url), "head")  # schema from create_all, as at head
    monkeypatch.setenv("LIASSE_DATABASE_URL", url)

    environment.clear_caches()
    yield world
    environment.session_factory.cache_clear()


def test_cli_decides_and_resumes_a_waiting_file(
    deployment: UUID, cli_on_world: World, runtime: Runtime  # noqa: F811
) -> None:
    world = cli_on_world
    file_id = world.start_file()
    code, out = cli("flow", "start", str(file_id), "--attempt", str(id(world)))
    assert code == 0, out
    run_id = UUID(out.split("run ")[1].split()[0])
    runtime.started.append(str(file_id))  # type: ignore[attr-defined]
    run = execute(run_id)
    row = waiting_row(world, file_id)
    assert paused_on(run, str(row))

    code, out = cli("flow", "decide", str(row), "--as", "bill", "--approve")
    assert code != 0 and "PermissionDenied" in out and "order_desk" in out
    with world.db() as s:
        assert [r.state.value for r in service.get_file(s, file_id).steps] == ["waiting"]

    code, out = cli("flow", "decide", str(row), "--as", "olga", "--approve")
    assert code == 0 and f"run {run_id} resumed" in out, out
    code, out = cli("flow", "decide", str(row), "--as", "olga", "--approve")
    assert code != 0 and "ConflictError" in out  # the double decision changes nothing

    run = execute(run_id)
    assert paused_on(run, str(waiting_row(world, file_id)))
    with world.db() as s:
        assert [r.step_id for r in service.get_file(s, file_id).steps] == [
            "order_form", "supporting_documents"]


def test_serve_check_lists_every_deployment_of_prefect_yaml() -> None:
    code, out = cli("serve", "--check")
    assert code == 0, out
    for name in ("customer-file", "sla-reminders", "chorus-followup", "retention-sweep"):
        assert name in out


def test_a_worker_builds_the_real_engine_from_the_environment(
    cli_on_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.actions.sla_source import DbSlaSource
    from flows.db_file_engine import DbFileEngine
    from flows.runtime import runtime_from_environment
    from flows.serve import ENGINE_DEFAULTS

    for name, value in ENGINE_DEFAULTS.items():
        monkeypatch.setenv(name, value)
    built = runtime_from_environment()
    assert isinstance(built.file_engine, DbFileEngine)
    assert isinstance(built.sla_source, DbSlaSource)
    file_id = cli_on_world.start_file()
    assert built.file_engine.next_action(str(file_id)).role == "order_desk"  # type: ignore[union-attr]
