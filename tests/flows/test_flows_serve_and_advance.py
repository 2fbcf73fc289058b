"""`prefect.yaml` as the one list of deployments, and the event-driven `advance-file` flow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from file_engine_double import InMemoryFileEngine, make_decision

from connectors.mail.outbox import OutboxMailer
from dossiers.db import Base, make_engine, make_session_factory
from flows.customer_file import advance_file
from flows.runtime import Runtime, use_runtime
from flows.serve import PREFECT_YAML, runner_deployments
from flows.settings import FlowSettings

pytestmark = pytest.mark.xdist_group("prefect")


def test_prefect_yaml_declares_every_deployment_on_the_liasse_process_pool() -> None:
    specs = {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text())["deployments"]}
    assert {n: d["entrypoint"] for n, d in specs.items()} == {
        "customer-file": "flows/customer_file.py:customer_file",
        "advance-file": "flows/customer_file.py:advance_file",
        "sla-reminders": "flows/sla.py:sla_reminders",
        "chorus-followup": "flows/chorus_followup.py:chorus_followup_flow",
        "retention-sweep": "flows/archive.py:retention_sweep_flow",
        "archive-verification": "flows/archive.py:rolling_verification_flow",
    }
    assert {d["work_pool"]["name"] for d in specs.values()} == {"liasse"}
    assert specs["chorus-followup"]["schedules"] == [{"interval": 900}]
    assert specs["retention-sweep"]["schedules"][0]["cron"] == "30 2 * * *"
    assert specs["sla-reminders"]["schedules"][0]["cron"] == "5 * * * *"


def test_serve_builds_runner_deployments_from_prefect_yaml() -> None:
    served = {d.name: d for d in runner_deployments()}
    assert set(served) == {"customer-file", "advance-file", "sla-reminders", "chorus-followup",
                           "retention-sweep", "archive-verification"}  # none skipped
    assert served["customer-file"].entrypoint == "flows/customer_file.py:customer_file"
    [hourly] = served["sla-reminders"].schedules
    assert (hourly.schedule.cron, hourly.schedule.timezone) == ("5 * * * *", "Europe/Paris")


def test_event_driven_advance_runs_until_the_next_human_step(
    prefect_api: str, tmp_path: Path
) -> None:
    engine = InMemoryFileEngine(now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    engine.add_file("E1")
    db = make_engine(f"sqlite:///{tmp_path / 'liasse.db'}")
    Base.metadata.create_all(db)
    factory = make_session_factory(db)
    runtime = Runtime(
        session_factory=factory,
        mailer=OutboxMailer(tmp_path / "outbox", factory),
        secret=b"s",
        flow_settings=FlowSettings(),
        file_engine=engine,
    )
    with use_runtime(runtime):
        assert advance_file("E1") == "waiting:E1-2"
        assert advance_file("E1") == "waiting:E1-2"  # a duplicate trigger changes nothing
        engine.apply_decision("E1", make_decision("E1-2", "approved", "alice"))
        assert advance_file("E1") == "waiting:E1-4"
        engine.apply_decision("E1", make_decision("E1-4", "approved", "bob"))
        assert advance_file("E1") == "approved"
    assert sum(engine.effects.values()) == 3
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
