"""A real customer file, moved by the real engine, through a real Prefect server and worker.

Everything is a separate process, as in production: `prefect server` on its own fresh
PostgreSQL database, `prefect deploy --name customer-file` from prefect.yaml, a `prefect worker`
on the `liasse` process pool whose flow runs build `DbFileEngine` from the `LIASSE_*`
environment, and the `liasse` CLI (`files start`, `flow start`, `flow decide`, `audit verify`).
The Liasse database is a second fresh PostgreSQL database, migrated with Alembic. The file
follows a short circuit (two human steps, then the invoice rendered, sealed and archived by the
worker) written to the test's `LIASSE_CIRCUITS_DIR`. Slow (~2 min): marked `slow`.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import pytest
from file_world import INVOICE, seed
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_support import (  # noqa: F401  (fixture)
    PG,
    REPO,
    customer_file_worker,
    fresh_postgres_database,
    prefect_on_postgres,
    run_cli,
    wait_for_state,
    wait_until_no_children,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from application.invoicing import posting
from application.invoicing.posting import prepare_for_file
from application.schema import migrate
from connectors.mail.alerts import STEP_LINK_PURPOSE
from connectors.mail.models import SentMail
from documents.profile import current_profile
from dossiers.archive.models import ArchivedDocument
from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer
from dossiers.db import make_engine, make_session_factory, transaction
from dossiers.files import service
from dossiers.files.states import DecisionKind, FileState, StepState
from dossiers.invoicing.models import Invoice
from dossiers.signed_links import read_token
from flows.control import file_tag
from flows.customer_file import suspension_key
from flows.local_server import LocalPrefectServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("prefect")]
SECRET = "real-server-real-file"
WAIT = 150  # seconds for one flow-run transition (a worker start-up is ~5-15 s on 2 cores)

SHORT_CIRCUIT = """
name: real_server
label: {fr: Circuit court du test serveur réel, en: Real-server test short circuit}
steps:
  - {id: order_form, label: {fr: Bon de commande, en: Order form}, kind: order_form,
     mode: human, role: order_desk, sla_hours: 24, on_approve: supporting_documents,
     on_reject: close}
  - {id: supporting_documents, label: {fr: Pièces justificatives, en: Supporting documents},
     kind: supporting_documents, mode: human, role: documents_checker, sla_hours: 48,
     on_approve: invoice_render, on_reject: order_form}
  - {id: invoice_render, label: {fr: Édition de la facture, en: Invoice rendering},
     kind: invoice, mode: automatic, action: render, on_approve: invoice_seal,
     on_failure: invoice_review}
  - {id: invoice_seal, label: {fr: Cachet de la facture, en: Invoice seal}, kind: invoice,
     mode: automatic, action: seal, on_approve: invoice_archive, on_failure: invoice_review}
  - {id: invoice_archive, label: {fr: Archivage de la facture, en: Invoice archive},
     kind: invoice, mode: automatic, action: archive, on_approve: close,
     on_failure: invoice_review}
  - {id: invoice_review, label: {fr: Contrôle de la facture, en: Invoice check}, kind: invoice,
     mode: human, role: billing, sla_hours: 8, on_approve: invoice_render, on_reject: close}
"""


@pytest.fixture
def liasse_database() -> Iterator[str]:
    """A fresh PostgreSQL database for Liasse, migrated to head with Alembic; dropped after."""
    with fresh_postgres_database(f"liasse_rs_{os.getpid()}") as name:
        url = f"postgresql+psycopg://{PG}/{name}"
        migrate.upgrade(url)
        yield url


def liasse(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The `liasse` command in its own process (English messages), whatever its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "liasse.cli.main", "--lang", "en", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


def liasse_ok(env: dict[str, str], *args: str) -> str:
    done = liasse(env, *args)
    assert done.returncode == 0, f"liasse {args} exited {done.returncode}:\n{done.stdout}" \
        f"{done.stderr}"
    return done.stdout


def waiting_row(db: sessionmaker[Session], file_id: int) -> int:
    with db() as s:
        row = service.get_file(s, file_id).steps[-1]
        assert row.state == StepState.WAITING, (row.step_id, row.state)
        return row.id


def suspended_on(run_id: UUID, row: int, what: str) -> None:
    """Wait until the run is Suspended on `row`'s key; a clear failure names what it waited on."""
    key = suspension_key(str(row))
    try:
        wait_for_state(run_id, lambda s: s.is_paused() and s.state_details.pause_key == key,
                       timeout=WAIT)
    except TimeoutError as exc:
        raise AssertionError(f"the flow run never suspended on {what} (step {row}): {exc}; "
                             "see worker.log in the test's tmp_path") from exc


def alerts(outbox: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)]


def check_alert(message: email.message.EmailMessage, file_id: int, row: int, role: str,
                label: str, to: str) -> None:
    """The alert goes to the role, names the step and carries a signed link to that step."""
    assert message["To"] == to
    assert message["Subject"].startswith(f"[Liasse] À valider : {label} — {file_id} — ")
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+token=\S+", body)
    assert link, body
    token = parse_qs(urlparse(link.group(0)).query)["token"][0]
    payload = read_token(SECRET.encode(), STEP_LINK_PURPOSE, token, max_age_seconds=3600)
    assert payload == {"file_id": str(file_id), "step_id": str(row), "role": role}


def snapshot(db: sessionmaker[Session], file_id: int) -> tuple:
    """What a refused decision must leave untouched: file, steps, audit trail, mail ledger."""
    with db() as s:
        file = service.get_file(s, file_id)
        return (file.version, file.state, [(r.id, r.state, r.decided_by) for r in file.steps],
                s.scalar(select(func.count()).select_from(AuditEvent)),
                s.scalar(select(func.count()).select_from(SentMail)))


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error :"), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return lines[0]


def test_a_real_file_through_a_real_server_worker_and_the_cli(
    prefect_on_postgres: LocalPrefectServer,  # noqa: F811
    liasse_database: str,
    tmp_path: Path,
) -> None:
    home, circuits = tmp_path / "liasse-home", tmp_path / "circuits"
    circuits.mkdir()
    (circuits / "real_server.yaml").write_text(SHORT_CIRCUIT)
    env = {k: v for k, v in prefect_on_postgres.environment().items()
           if not k.startswith("LIASSE_")}  # nothing from the caller's Liasse settings
    env.update(
        PYTHONPATH=str(REPO),
        LIASSE_HOME=str(home),
        LIASSE_DATABASE_URL=liasse_database,
        LIASSE_CIRCUITS_DIR=str(circuits),
        LIASSE_SECRET_KEY=SECRET,
        LIASSE_FILE_ENGINE="flows.db_file_engine:make_file_engine",
        LIASSE_SLA_SOURCE="flows.db_file_engine:make_sla_source",
        LIASSE_CODE_DIR=str(REPO),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
    )
    engine = make_engine(liasse_database)
    db = make_session_factory(engine)
    try:
        seed(db)  # staff with the circuit roles (olga: order desk, dora: documents), a customer
        with db() as s:
            customer = s.scalars(select(Customer)).one().number
        out = liasse_ok(env, "files", "start", "--customer", customer, "--circuit",
                        "real_server", "--as", "sam")
        file_id = int(re.search(r"File (\d+) opened", out).group(1))  # type: ignore[union-attr]
        with transaction(db) as s:  # what the file will invoice (a draft; render issues it)
            prepare_for_file(s, file_id, INVOICE, current_profile(), actor="sam")

        with customer_file_worker(env, tmp_path) as worker, temporary_settings(
            {PREFECT_API_URL: prefect_on_postgres.api_url}
        ):
            out = liasse_ok(env, "flow", "start", str(file_id))
            run_id = UUID(re.search(r"run ([0-9a-f-]{36})", out).group(1))  # type: ignore[union-attr]
            decided = drive(env, db, worker, run_id, file_id, home / "outbox")
            run = wait_for_state(run_id, lambda s: s.is_final(), timeout=WAIT)
            assert run.state is not None and run.state.is_completed(), run.state
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    tags=FlowRunFilterTags(all_=[file_tag(str(file_id))])))
            assert [r.id for r in runs] == [run_id]  # one run for the file, resumed twice
        check_outcome(env, db, file_id, decided, home)
    finally:
        engine.dispose()


def drive(env: dict[str, str], db: sessionmaker[Session], worker: subprocess.Popen[bytes],
          run_id: UUID, file_id: int, outbox: Path) -> dict[int, str]:
    """Resume each human step from the CLI once the run is suspended on it; try bad resumes."""
    decided: dict[int, str] = {}
    for step_id, label, role, login in (
        ("order_form", "Bon de commande", "order_desk", "olga"),
        ("supporting_documents", "Pièces justificatives", "documents_checker", "dora"),
    ):
        row = waiting_row(db, file_id)
        suspended_on(run_id, row, step_id)
        assert wait_until_no_children(worker.pid) == []  # nothing runs while the file waits
        sent = alerts(outbox)
        assert len(sent) == len(decided) + 1, [m["Subject"] for m in sent]
        check_alert(sent[-1], file_id, row, role, label, f"{login}@liasse-editions.fr")
        if decided:
            bad_resumes(env, db, run_id, file_id, previous=next(iter(decided)), waiting=row)
        out = liasse_ok(env, "flow", "decide", str(row), "--as", login, "--approve")
        assert f"run {run_id} resumed" in out, out  # woke the run, not the stale-run sweep
        decided[row] = login
    return decided


def bad_resumes(env: dict[str, str], db: sessionmaker[Session], run_id: UUID, file_id: int,
                *, previous: int, waiting: int) -> None:
    """A second decision on a decided step, and one from a role that may not decide: one
    clear line each, non-zero exit, nothing changed in the database or in Prefect."""
    before = snapshot(db, file_id)
    double = liasse(env, "flow", "decide", str(previous), "--as", "olga", "--approve")
    assert double.returncode == 4, double  # ConflictError
    assert "already" in one_error_line(double)
    wrong_role = liasse(env, "flow", "decide", str(waiting), "--as", "bill", "--approve")
    assert wrong_role.returncode == 6, wrong_role  # PermissionDenied
    assert "documents_checker" in one_error_line(wrong_role)
    assert snapshot(db, file_id) == before
    suspended_on(run_id, waiting, "the same step after refused decisions")


def check_outcome(env: dict[str, str], db: sessionmaker[Session], file_id: int,
                  decided: dict[int, str], home: Path) -> None:
    with db() as s:
        file = service.get_file(s, file_id)
        assert file.state == FileState.CLOSED_APPROVED, (file.state, file.current_step)
        assert [(r.step_id, r.state) for r in file.steps] == [
            ("order_form", StepState.APPROVED), ("supporting_documents", StepState.APPROVED),
            ("invoice_render", StepState.APPROVED), ("invoice_seal", StepState.APPROVED),
            ("invoice_archive", StepState.APPROVED)]
        humans = {r.id: (r.decided_by, r.decision) for r in file.steps if r.id in decided}
        assert humans == {row: (login, DecisionKind.APPROVE) for row, login in decided.items()}
        approvals = s.execute(select(AuditEvent.actor, AuditEvent.data).where(
            AuditEvent.subject_type == "customer_file", AuditEvent.subject_id == str(file_id),
            AuditEvent.actor.in_(decided.values()))).all()
        assert sorted((actor, data["step_row_id"]) for actor, data in approvals) == sorted(
            (login, row) for row, login in decided.items())
        # The automatic steps ran once: one invoice numbered, sealed and archived once.
        numbered = s.scalars(select(Invoice.number).where(Invoice.number.is_not(None))).all()
        invoice = posting.file_invoice(s, file_id)
        assert invoice is not None
        sealed = posting.recorded_stage(s, invoice.id, posting.Stage.SEALED)
        archived = s.scalars(select(ArchivedDocument)).all()
    assert len(numbered) == 1 and sealed is not None and sealed["number"] == numbered[0]
    assert [(a.document_type, a.document_number, a.sha256) for a in archived] == [
        ("invoice", numbered[0], sealed["sha256"])]
    assert len(list((home / "outbox").glob("*.eml"))) == 2  # one alert per human step
    assert "OK" in liasse_ok(env, "audit", "verify")
