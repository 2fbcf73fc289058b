"""The production resume hook (`portal.decisions.prefect_resumer`): best effort, as the CLI.
Without a Prefect API the decision stands and the sweep resumes the run later; a run not yet
suspended on the step is left to the stale-run sweep; Prefect failures never fail the caller."""

from __future__ import annotations

from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

import flows.control as control
from flows.file_engine_protocol import StepDecision
from portal.decisions import prefect_resumer

DECISION = StepDecision(step_run_id="7", outcome="approved", actor="olga")


class _Services:
    factory = None


def test_without_a_prefect_api_the_decision_waits_for_the_sweep(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    called: list[Any] = []
    monkeypatch.setattr(control, "resume_step", lambda *a: called.append(a))
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert prefect_resumer(_Services())(3, DECISION) == "no_orchestrator"
    assert called == []


@pytest.mark.parametrize(("failure", "expected"), [
    (None, "resumed"),
    (control.AlreadyResumed("déjà", "already"), "resumed"),
    (control.NotWaiting("pas encore", "not yet"), "swept"),
    (ConnectionError("Prefect down"), "later"),
])
def test_with_a_prefect_api(monkeypatch, failure: Exception | None, expected: str) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, Any]] = []

    def resume_step(file_id: str, decision: StepDecision) -> str:
        calls.append((file_id, decision))
        if failure is not None:
            raise failure
        return "run-id"

    swept: list[Any] = []
    monkeypatch.setattr(control, "resume_step", resume_step)
    monkeypatch.setattr(control, "resume_stale_runs", lambda engine: swept.append(engine) or [])
    monkeypatch.setattr("flows.db_file_engine.make_file_engine", lambda factory: "engine")
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert prefect_resumer(_Services())(3, DECISION) == expected
    assert calls == [("3", DECISION)]
    assert swept == (["engine"] if expected == "swept" else [])
