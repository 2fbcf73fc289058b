"""`liasse demo` end to end, as `make demo` runs it: a subprocess on a fresh `LIASSE_HOME`,
then the summary it printed and wrote, and facts read back from what it left behind."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.mail.alerts import step_alert_key
from connectors.mail.models import SentMail
from documents.facturx.check import check_facturx
from dossiers.chorus_deposits import ChorusDeposit, DepositState
from dossiers.db import make_engine, make_session_factory
from dossiers.invoicing.models import Invoice
from signing.certificates import load_pem_certs
from signing.validation.verify import verify_pdf

pytestmark = pytest.mark.slow


def liasse(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m liasse.cli.main ARGS` with only `LIASSE_HOME` set among Liasse's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIASSE_")}
    env |= {"LIASSE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "liasse.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("demo") / "home"
    result = liasse(home, "--lang", "en", "demo")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads((home / "demo-summary.json").read_text())
    yield home, result.stdout, summary


def test_every_chapter_runs_and_the_summary_is_printed(run) -> None:
    _, out, _ = run
    for title in ("1. Database", "2. Staff and their roles", "3. Customers of every type",
                  "4. Customer files on the default circuit", "5. Invoicing",
                  "6. Chorus Pro", "7. Legal archive", "8. Summary"):
        assert title in out, title
    assert "audit chain OK" in out
    assert "SMS → +33612345678" in out and "SMS → +33798765432" in out
    assert "Invoicing a beneficiary:" in out and "no number taken" in out
    assert "Demo finished" in out


def test_summary_counts(run) -> None:
    _, _, s = run
    assert s["customers"] == {"normal": 5, "third_party_payer": 1, "beneficiary": 2,
                              "prospect": 1}
    assert s["files"] == {"closed_approved": 1, "in_progress": 3}
    assert s["steps"] == {"approved": 12, "rejected": 1, "waiting": 3}
    assert s["invoices"] == {"invoice": 5, "credit_note": 1}
    assert s["facturx_ok"] == len(s["issued"]) == 6
    # six invoices and credit notes, the signed contract, the closed file's order form
    assert s["archived"] == 8
    assert s["sms"] == 2
    assert s["emails"] >= 10  # step alerts, signing invitations and outcomes, invoices
    assert list(s["deposits"].values()) == ["settled (mandated)"]
    assert s["audit_events"] > 100 and s["audit_chain_ok"] is True
    assert s["facts"]["chorus_deposit_counts"] == {s["facts"]["public_invoice"]: 1}
    assert s["facts"]["archive_verify"] == {"ok": True, "checked": 8}
    assert s["facts"]["vies"] == "valid"
    assert s["facts"]["contract_verification"]["kinds"] == ["signature", "signature", "seal"]


def prefect_rows(home: Path, sql: str) -> list[tuple]:
    """Rows of the demo's Prefect server database (`<home>/prefect/prefect.db`)."""
    connection = sqlite3.connect(home / "prefect" / "prefect.db")
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_files_move_through_real_customer_file_flow_runs(run) -> None:
    home, out, s = run
    assert re.search(r"Prefect UI while the demo runs: http://127\.0\.0\.1:\d+/runs", out)
    assert re.search(r"Prefect run 'file-1': http://127\.0\.0\.1:\d+/runs/flow-run/[0-9a-f-]{36}",
                     out)
    assert "file 1 finished: approved — run Completed" in out
    runs = prefect_rows(home, "SELECT fr.name, fr.state_name FROM flow_run fr JOIN flow f "
                              "ON f.id = fr.flow_id WHERE f.name = 'customer-file' ORDER BY 1")
    # the closed file's run completed; the three waiting files' runs stay suspended
    assert runs == [("file-1", "Completed"), ("file-2", "Suspended"), ("file-3", "Suspended"),
                    ("file-4", "Suspended")]
    tasks = prefect_rows(home, "SELECT tr.name, tr.state_name FROM task_run tr JOIN flow_run fr "
                               "ON fr.id = tr.flow_run_id WHERE fr.name = 'file-1'")
    assert {state for _, state in tasks} == {"Completed"}
    actions = [re.sub(r"-\d+$", "", name) for name, _ in tasks if not name.startswith("alert-")]
    # the contract drafted, the signature opened then finished, the five invoice steps: each
    # a task of the run, none twice (the demo process ran none of them)
    assert sorted(actions) == sorted(["render", "sign", "sign", "render", "seal", "archive",
                                      "send", "deposit"])
    alerts = [name for name, _ in tasks if name.startswith("alert-")]
    assert len(alerts) == len(set(alerts)) == 3  # order form, documents, contract review
    engine = make_engine(f"sqlite:///{home / 'liasse.db'}")
    try:
        with make_session_factory(engine)() as session:
            keys = set(session.scalars(select(SentMail.idempotency_key)))
    finally:
        engine.dispose()
    for name in alerts:  # each alert task's mail is in the mail ledger (and the outbox)
        assert step_alert_key(name.removeprefix("alert-")) in keys, (name, sorted(keys))
    assert s["facts"]["prefect_home"] == str((home / "prefect").resolve())


def test_invoice_numbers_are_consecutive_and_every_pdf_passes_facturx(run) -> None:
    home, _, _ = run
    engine = make_engine(f"sqlite:///{home / 'liasse.db'}")
    try:
        with make_session_factory(engine)() as session:
            invoices = session.scalars(select(Invoice).order_by(Invoice.id)).all()
            numbers = {inv.series: [] for inv in invoices}
            for inv in invoices:
                numbers[inv.series].append(inv.number)
            deposit = session.scalars(select(ChorusDeposit)).one()
    finally:
        engine.dispose()
    for series, issued in numbers.items():
        sequence = [int(re.search(r"(\d+)$", n).group(1)) for n in issued]  # type: ignore[union-attr]
        assert sequence == list(range(1, len(issued) + 1)), (series, issued)
    assert deposit.state is DepositState.SETTLED
    for inv in invoices:
        report = check_facturx((home / "pdf" / f"{inv.number}.pdf").read_bytes())
        assert report.ok, (inv.number, [str(f) for f in report.failures])


def test_signed_contract_has_two_signatures_a_seal_and_timestamps(run) -> None:
    home, _, _ = run
    signed = next((home / "pdf").glob("contrat-*-signe.pdf")).read_bytes()
    report = verify_pdf(signed, load_pem_certs(home / "pki" / "root.pem"))
    assert report.ok
    assert [s.kind for s in report.signatures] == ["signature", "signature", "seal"]
    assert all(s.timestamp is not None and s.timestamp_valid for s in report.signatures)
    assert report.evidence_page is not None


def test_the_home_is_usable_by_the_cli_afterwards(run) -> None:
    home, _, _ = run
    audit = liasse(home, "--lang", "en", "audit", "verify")
    assert audit.returncode == 0 and "audit trail intact" in audit.stdout
    archive = liasse(home, "--lang", "en", "archive", "verify")
    assert archive.returncode == 0 and "8 object(s) verified" in archive.stdout
    pending = liasse(home, "--lang", "en", "steps", "pending")
    assert pending.returncode == 0 and "3 step(s) waiting." in pending.stdout
    tasks = liasse(home, "--lang", "en", "tasks")
    assert tasks.returncode == 0 and "Offre d'essai gratuite" in tasks.stdout


def test_a_home_holding_a_database_is_refused_and_left_untouched(run) -> None:
    home, _, _ = run
    database = home / "liasse.db"
    before = database.stat().st_mtime_ns, database.stat().st_size
    again = liasse(home, "demo", timeout=60)
    assert again.returncode != 0
    assert "liasse.db" in again.stderr and "Traceback" not in again.stderr
    assert (database.stat().st_mtime_ns, database.stat().st_size) == before
