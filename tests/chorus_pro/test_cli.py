"""`liasse chorus ...` against the fake Chorus Pro over HTTP (in-process, plus one subprocess
run to see the one-line error a user gets)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.schema import migrate
from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit import Depositor, DepositRequest
from connectors.chorus_pro.errors import ChorusAuthError
from connectors.chorus_pro.fake import FakeChorus
from documents.facturx.samples import chorus_sample
from dossiers.db import Base, make_engine, make_session_factory
from dossiers.errors import ValidationError

from .helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN,
    PASSWORD,
    SERVICE_BUYER,
    deposit_counts,
    make_settings,
)


@pytest.fixture
def cli_env(tmp_path: Path, server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    from liasse.cli import environment

    url = f"sqlite:///{tmp_path / 'liasse.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    Base.metadata.create_all(engine)  # tables not in a migration yet (the lead adds them)
    engine.dispose()
    env = {
        "LIASSE_HOME": str(tmp_path),
        "LIASSE_DATABASE_URL": url,
        "LIASSE_CHORUS_CLIENT_ID": CLIENT_ID,
        "LIASSE_CHORUS_CLIENT_SECRET": CLIENT_SECRET,
        "LIASSE_CHORUS_TECHNICAL_LOGIN": LOGIN,
        "LIASSE_CHORUS_TECHNICAL_PASSWORD": PASSWORD,
        "LIASSE_CHORUS_API_BASE_URL": server_url,
        "LIASSE_CHORUS_OAUTH_BASE_URL": server_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    environment.clear_caches()
    yield env
    environment.clear_caches()


def test_chorus_commands(
    tmp_path: Path,
    cli_env: dict,
    fake: FakeChorus,
    server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from liasse.cli.main import root

    runner = CliRunner()
    good = tmp_path / "good.pdf"
    good.write_bytes(chorus_sample("CLI-1", buyer_siret=SERVICE_BUYER, service_code="BIBLIO"))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(chorus_sample("CLI-2", buyer_siret=SERVICE_BUYER))

    buyer = runner.invoke(root, ["chorus", "buyer", SERVICE_BUYER])
    assert buyer.exit_code == 0, buyer.output
    assert "code service obligatoire : oui" in buyer.output and "BIBLIO" in buyer.output

    args = ["chorus", "deposit", str(good), "--invoice", "CLI-1", "--check", "xsd"]
    done = runner.invoke(root, args)
    assert done.exit_code == 0, done.output
    assert "submitted" in done.output and "CPP" in done.output
    again = runner.invoke(root, args)
    assert "inchangée" in again.output

    refused = runner.invoke(
        root, ["chorus", "deposit", str(bad), "--invoice", "CLI-2", "--check", "xsd"]
    )
    assert isinstance(refused.exception, ValidationError)
    assert "exige un code service" in str(refused.exception)

    fake.clock.advance(600)
    assert "0 suivis" in runner.invoke(root, ["chorus", "poll"]).output  # not due yet
    polled = runner.invoke(root, ["chorus", "poll", "--now"])
    assert polled.exit_code == 0 and "1 suivis" in polled.output
    listing = runner.invoke(root, ["chorus", "status", "--state", "to_fix"])
    assert "CLI-2" in listing.output and "CLI-1" not in listing.output

    monkeypatch.setenv("LIASSE_CHORUS_TECHNICAL_PASSWORD", "expired")
    locked_out = runner.invoke(root, ["chorus", "deposit", str(good), "--invoice", "CLI-3"])
    assert isinstance(locked_out.exception, ChorusAuthError)
    assert "LIASSE_CHORUS_TECHNICAL_PASSWORD" in str(locked_out.exception)
    assert deposit_counts(server_url) == {"CLI-1": 1}


def test_a_refused_deposit_is_one_clear_line(tmp_path: Path, cli_env: dict) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(chorus_sample("CLI-9", buyer_siret=SERVICE_BUYER))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "liasse.cli.main",
            "chorus",
            "deposit",
            str(bad),
            "--invoice",
            "CLI-9",
            "--check",
            "xsd",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        check=False,
        timeout=120,
    )
    assert run.returncode == 10  # ExitCode.REFUSED
    assert "exige un code service" in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr


PROBLEMS: list[tuple[str, str]] = []


def record_problem(invoice_number: str, reason: str) -> None:
    PROBLEMS.append((invoice_number, reason))


def test_the_followup_flow_polls_and_hands_problems_over(
    cli_env: dict, fake: FakeChorus, server_url: str
) -> None:
    from flows.chorus_followup import chorus_followup_flow

    sessions = make_session_factory(make_engine(cli_env["LIASSE_DATABASE_URL"]))
    broken = chorus_sample("FLOW-1", buyer_siret=SERVICE_BUYER, service_code="BIBLIO", broken=True)
    with ChorusProClient(make_settings(server_url)) as client:
        # A check that lets the XSD error through: Chorus Pro rejects the flow.
        Depositor(sessions, client, lambda pdf: []).deposit(DepositRequest("FLOW-1", broken))
    fake.clock.advance(600)
    PROBLEMS.clear()
    report = chorus_followup_flow.fn(force=True, problem_handler=f"{__name__}:record_problem")
    assert report["polled"] == 1
    assert [n for n, _ in PROBLEMS] == ["FLOW-1"] and "ERR_XSD_001" in PROBLEMS[0][1]
