"""Thin Prefect flow: follow Chorus Pro deposits (scheduled, e.g. every 15 minutes).

The logic lives in `connectors.chorus_pro.followup.poll_once` (tested against the fake);
this only builds the database and the client from settings. `problem_handler` names a
`module:callable(invoice_number, reason)` that alerts the operators and puts the invoice back in
its file's circuit; without one, problems are printed to the flow run's log.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow

from application.services import build_services
from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.followup import OnProblem, poll_once
from connectors.chorus_pro.settings import ChorusSettings
from dossiers.db import utcnow
from flows.runtime import import_factory


def _print_problem(invoice_number: str, reason: str) -> None:
    print(f"Chorus Pro: invoice {invoice_number} needs fixing: {reason}")


@flow(name="chorus_followup", log_prints=True)
def chorus_followup_flow(force: bool = False, problem_handler: str | None = None) -> dict[str, Any]:
    """Poll the deposits that are due; rejections go to `problem_handler`."""
    sessions = build_services(chorus=None, vies=None).factory
    on_problem: OnProblem = import_factory(problem_handler) if problem_handler else _print_problem
    settings = ChorusSettings()
    reminder = settings.password_reminder(utcnow().date())
    if reminder:
        print(reminder[1])
    with ChorusProClient(settings) as client:
        report = poll_once(sessions, client, utcnow(), on_problem=on_problem, force=force)
    print(
        f"chorus follow-up: {report.polled} polled, {report.changed} changed, "
        f"{report.settled} settled, {len(report.problems)} problem(s)"
    )
    return asdict(report)
