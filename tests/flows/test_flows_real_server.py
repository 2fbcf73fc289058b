"""End to end on real processes: `prefect server` on PostgreSQL, a `prefect worker` on the
`liasse` process pool, `prefect deploy` from prefect.yaml, and resumes from a separate CLI
process. Slow (the server migrates a fresh PostgreSQL database): marked `slow`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from file_engine_double import InMemoryFileEngine, PickledFileEngine
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_support import (  # noqa: F401  (fixture)
    REPO,
    customer_file_worker,
    prefect_on_postgres,
    run_cli,
    wait_for_state,
    wait_until_no_children,
)

from dossiers.db import Base, make_engine
from flows.control import start_file
from flows.customer_file import suspension_key
from flows.local_server import LocalPrefectServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("prefect")]


RESUME = """
import sys
from flows.control import resume_step
from flows.file_engine_protocol import StepDecision
resume_step(sys.argv[1], StepDecision(step_run_id=sys.argv[2], outcome="approved",
                                      actor=sys.argv[3]))
"""


def test_one_file_end_to_end_through_server_worker_and_cli(
    prefect_on_postgres: LocalPrefectServer, tmp_path: Path  # noqa: F811
) -> None:
    home = tmp_path / "liasse-home"
    home.mkdir()
    ledger = make_engine(f"sqlite:///{home / 'liasse.db'}")
    Base.metadata.create_all(ledger)
    state = tmp_path / "engine.pickle"
    engine = InMemoryFileEngine(now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    engine.add_file("W1")
    PickledFileEngine(str(state)).save(engine)
    env = prefect_on_postgres.environment(
        PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), str(REPO)]),
        LIASSE_HOME=str(home),
        LIASSE_SECRET_KEY="integration",
        LIASSE_FILE_ENGINE="file_engine_double:pickled_engine",
        LIASSE_TEST_ENGINE_STATE=str(state),
        LIASSE_CODE_DIR=str(REPO),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
    )
    with customer_file_worker(env, tmp_path) as worker, temporary_settings(
        {PREFECT_API_URL: prefect_on_postgres.api_url}
    ):
        run_id = start_file("W1")
        for step, actor in [("W1-2", "alice"), ("W1-4", "bob")]:
            run = wait_for_state(
                run_id,
                lambda s, step=step: (
                    s.is_paused() and s.state_details.pause_key == suspension_key(step)
                ),
                timeout=120,
            )
            assert wait_until_no_children(worker.pid) == []  # nothing runs while it waits
            run_cli(env, sys.executable, "-c", RESUME, "W1", step, actor)
        run = wait_for_state(run_id, lambda s: s.is_final(), timeout=120)
    assert run.state.is_completed(), run.state

    final = PickledFileEngine(str(state)).load()
    assert final.files["W1"].outcome == "approved"
    assert sum(final.effects.values()) == 3 and set(final.effects.values()) == {1}
    assert len(list((home / "outbox").glob("*.eml"))) == 2
