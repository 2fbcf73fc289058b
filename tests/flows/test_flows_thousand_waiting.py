"""1,000 real customer files waiting on a human step hold no process and no thread: only rows.

Real files (the default circuit, real customer, invoice prepared) on PostgreSQL; a real
`prefect server` on its own fresh PostgreSQL database (as in scale-out); one customer-file
deployment flow run per file (`flows.control.start_file`), each executed in this process by
Prefect's engine (`run_flow`, what a worker's subprocess runs) on a pool of threads, until it
suspends on the file's first human step (the order form). Then: every run is Suspended on its
file's waiting step key, every file waits on that step in the Liasse database, this process's
thread count is back to its baseline (measured after the first few suspended runs, so Prefect's
lazily started service threads are in it) and its only child process is the Prefect server;
what remains is rows, counted in both databases and printed. Finally one file is decided and
resumed by the real path and suspends on its next step: waiting files stay resumable.

N: `LIASSE_TEST_WAITING_FILES` (default 1,000). Threads: `LIASSE_TEST_WAITING_WORKERS`
(default 16), each creating then executing runs. Against Prefect's single-process SQLite test
server, where creations had to be serialised ("database is locked" and multi-second client
back-offs), 1,000 took 15.5 min; the PostgreSQL server takes concurrent creations (timings in
the printed line and in the issue notes).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from file_world import (  # noqa: F401  (fixtures)
    INVOICE,
    ROOT,
    World,
    fake_twilio_server,
    pki_home,
    world_fixture,
)
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_support import PG, child_pids, fresh_postgres_database, thread_count
from sqlalchemy import func, select, text

from application.invoicing.posting import prepare_for_file
from application.settings import Settings
from dossiers.circuits import load_circuit
from dossiers.db import make_engine, transaction
from dossiers.files import service
from dossiers.files.models import FileStep
from dossiers.files.states import StepState
from flows.actions.sla_source import DbSlaSource
from flows.control import resume_step, start_file
from flows.customer_file import customer_file, suspension_key
from flows.db_file_engine import record_decision
from flows.file_engine_protocol import StepDecision
from flows.local_server import LocalPrefectServer
from flows.runtime import Runtime, use_runtime
from flows.settings import FlowSettings

N = int(os.environ.get("LIASSE_TEST_WAITING_FILES", "1000"))
WORKERS = int(os.environ.get("LIASSE_TEST_WAITING_WORKERS", "16"))
BASELINE_RUNS = 10
THREAD_SLACK = 3  # lazily created pool threads (HTTP, logs); a leak per run would be ~N
FIRST_HUMAN_STEP = "order_form"
PAGE = 200  # the API's largest page

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` on a fresh PostgreSQL database; yields that database's name."""
    with fresh_postgres_database(f"prefect_w_{os.getpid()}") as name:
        server = LocalPrefectServer(
            tmp_path_factory.mktemp("prefect-home"), ui=False,
            database_url=f"postgresql+asyncpg://{PG}/{name}")
        with server, temporary_settings({PREFECT_API_URL: server.api_url}):
            yield name
            APILogWorker.drain_all(timeout=10)  # the runs' last logs, while the server is up


@pytest.fixture(scope="module")
def deployment(prefect_server: str) -> UUID:
    return customer_file.to_deployment("customer-file").apply()


@pytest.fixture
def runtime(world: World) -> Iterator[Runtime]:
    runtime = Runtime(session_factory=world.db, mailer=world.ctx.mailer,
                      secret=Settings().resolved_secret_key(),
                      flow_settings=FlowSettings(public_url="https://liasse.example"),
                      file_engine=world.engine, sla_source=DbSlaSource(world.engine))
    with use_runtime(runtime):
        yield runtime


def seed_files(world: World, count: int) -> list[int]:
    """`count` real files on the default circuit, each with its invoice prepared."""
    definition = load_circuit(ROOT / "circuits" / "default.yaml")
    ids: list[int] = []
    while len(ids) < count:
        with transaction(world.db) as s:
            for _ in range(min(100, count - len(ids))):
                file = service.start_file(s, customer_id=world.customer_id, circuit=definition,
                                          actor="sam", at=world.clock())
                prepare_for_file(s, file.id, INVOICE, world.ctx.profile, actor="sam")
                ids.append(file.id)
    return ids


def execute(flow_run_id: UUID) -> FlowRun:
    """Prefect's engine runs the deployment's flow run here until it suspends or ends."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        with contextlib.suppress(Pause):
            run_flow(customer_file, flow_run=flow_run, parameters=flow_run.parameters)
        return client.read_flow_run(flow_run_id)


def start_and_suspend(file_ids: list[int]) -> dict[int, FlowRun]:
    """Create and execute one flow run per file on a pool of threads that is then shut down
    (its threads joined: they belong to the executions, not to the waiting runs). Each job runs
    in a copy of this thread's context, where `temporary_settings` put the server's API URL."""
    def one(file_id: int) -> FlowRun:
        return execute(start_file(str(file_id), attempt=uuid.uuid4().int % 10**12))

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="run") as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, file_id)
                   for file_id in file_ids]
        return {file_id: future.result() for file_id, future in zip(file_ids, futures,
                                                                    strict=True)}


def waiting_steps(world: World) -> dict[int, int]:
    """file id -> its waiting step row id, for files waiting on the first human step."""
    with world.db() as s:
        rows = s.execute(select(FileStep.file_id, FileStep.id).where(
            FileStep.state == StepState.WAITING, FileStep.step_id == FIRST_HUMAN_STEP)).all()
    return {file_id: row_id for file_id, row_id in rows}


def read_runs(run_ids: list[UUID]) -> list[FlowRun]:
    runs: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        for at in range(0, len(run_ids), PAGE):
            runs += client.read_flow_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=run_ids[at:at + PAGE])), limit=PAGE)
    return runs


def prefect_rows(database: str) -> dict[str, int]:
    engine = make_engine(f"postgresql+psycopg://{PG}/{database}")
    try:
        with engine.connect() as conn:
            return {table: conn.scalar(text(f"SELECT count(*) FROM {table}"))
                    for table in ("flow_run", "flow_run_state", "flow_run_input", "task_run")}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "db_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_waiting_files_hold_no_thread_and_no_process_only_rows(
    prefect_server: str, deployment: UUID, world: World, runtime: Runtime
) -> None:
    me = os.getpid()
    timings: dict[str, float] = {}
    clock = time.monotonic()
    file_ids = seed_files(world, N)
    timings["seed"] = time.monotonic() - clock
    rows_before = prefect_rows(prefect_server)
    # the Prefect server is a child of this process (LocalPrefectServer): not a run.
    children_before = child_pids(me)
    runs: dict[int, FlowRun] = {}
    clock = time.monotonic()
    runs.update(start_and_suspend(file_ids[:BASELINE_RUNS]))
    baseline = thread_count(me)
    runs.update(start_and_suspend(file_ids[BASELINE_RUNS:]))
    timings["suspend"] = time.monotonic() - clock
    threads_after, children_after = thread_count(me), child_pids(me)

    # Every run suspended on the key of its file's waiting step, which the database holds.
    waiting = waiting_steps(world)
    assert len(waiting) == N and set(waiting) == set(file_ids), (
        f"{N - len(waiting)} of {N} files are not waiting on {FIRST_HUMAN_STEP}")
    fresh = read_runs([run.id for run in runs.values()])
    by_id = {run.id: run for run in fresh}
    wrong = [(file_id, by_id[run.id].state) for file_id, run in runs.items()
             if not (by_id[run.id].state and by_id[run.id].state.is_paused()
                     and by_id[run.id].state.name == "Suspended"
                     and by_id[run.id].state.state_details.pause_key
                     == suspension_key(str(waiting[file_id])))]
    assert len(fresh) == N and not wrong, (
        f"{len(wrong)} of {N} runs not Suspended on their file's step, e.g. {wrong[:3]}")

    # Waiting holds nothing: no thread per waiting run, no process.
    assert threads_after <= baseline + THREAD_SLACK, (
        f"threads grew with the waiting runs: {baseline} after {BASELINE_RUNS} suspended, "
        f"{threads_after} after {N}")
    assert set(children_after) <= set(children_before), (
        f"child processes while files wait: {children_after} (before: {children_before})")

    # The cost is rows.
    rows_after = prefect_rows(prefect_server)
    with world.db() as s:
        waiting_rows = s.scalar(select(func.count()).select_from(FileStep).where(
            FileStep.state == StepState.WAITING)) or 0
    added = {table: rows_after[table] - rows_before[table] for table in rows_after}
    assert added["flow_run"] == N and waiting_rows == N, (added, waiting_rows)
    print(f"\n{N} files suspended in {timings['suspend']:.1f} s with {WORKERS} threads "
          f"(seeded in {timings['seed']:.1f} s); test-process threads {baseline} after "
          f"{BASELINE_RUNS} suspended -> {threads_after} after {N}; children "
          f"{len(children_after)} (the Prefect server: {children_before})")
    print("rows: Liasse file_steps waiting", waiting_rows, "; Prefect",
          ", ".join(f"{table} +{count} ({count / N:.1f}/run)"
                    for table, count in added.items()))

    # A waiting file is still resumable by the real path: decide, resume, next step.
    file_id = file_ids[N // 2]
    row = waiting[file_id]
    with transaction(world.db) as s:
        record_decision(s, file_id, str(row), "approved", "olga")
    decision = StepDecision(step_run_id=str(row), outcome="approved", actor="olga")
    assert resume_step(str(file_id), decision) == runs[file_id].id
    resumed = execute(runs[file_id].id)
    with world.db() as s:
        step = service.get_file(s, file_id).steps[-1]
    assert (step.step_id, step.state) == ("supporting_documents", StepState.WAITING)
    assert resumed.state is not None and resumed.state.is_paused(), resumed.state
    assert resumed.state.state_details.pause_key == suspension_key(str(step.id))
