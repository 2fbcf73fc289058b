"""The demo's orchestration: what `liasse serve` runs, started for the length of the demo.

A Prefect server on a free port (its SQLite file in `<home>/prefect`, UI included) and every
deployment of `prefect.yaml` served by a child process (`flows.local_stack.LocalStack`); this
process talks to the server through `PREFECT_API_URL` to start and resume the files' runs.
The runs stay in `<home>/prefect` after the demo: `liasse serve` on the same home shows them in
the UI, and the files still waiting can be decided and resumed there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

from dossiers.i18n import tr
from flows.control import CUSTOMER_FILE_DEPLOYMENT
from flows.local_stack import LocalStack
from liasse.demo.state import Demo


@contextmanager
def served_flows(demo: Demo) -> Iterator[LocalStack]:
    stack = LocalStack(demo.home, port=None, poll_seconds=1,
                       log_file=demo.home / "prefect" / "serve.log")
    demo.say("Orchestration : serveur Prefect local et déploiements de prefect.yaml servis…",
             "Orchestration: local Prefect server and prefect.yaml's deployments served…")
    with stack, temporary_settings({PREFECT_API_URL: stack.api_url,
                                    PREFECT_HOME: stack.prefect_home}):
        stack.wait_for_deployment(CUSTOMER_FILE_DEPLOYMENT)
        demo.stack = stack
        demo.ok(f"interface Prefect pendant la démo : {stack.ui_url}/runs",
                f"Prefect UI while the demo runs: {stack.ui_url}/runs")
        demo.detail(tr(f"journal des exécutions : {demo.relative(stack.log_file)}",
                       f"flow-run log: {demo.relative(stack.log_file)}"))
        try:
            yield stack
        finally:
            demo.stack = None
    demo.facts["prefect_home"] = str(stack.prefect_home)


def watch_afterwards(demo: Demo) -> None:
    """Where the runs can be watched once the demo's server has stopped."""
    home = demo.relative(demo.home)
    demo.say(f"Exécutions Prefect conservées dans {home}/prefect : LIASSE_HOME={home} liasse "
             "serve, puis http://127.0.0.1:4200/runs (les dossiers en attente y sont suspendus "
             "et se reprennent avec liasse flow decide).",
             f"Prefect runs kept in {home}/prefect: LIASSE_HOME={home} liasse serve, then "
             "http://127.0.0.1:4200/runs (the waiting files are suspended there and resume "
             "with liasse flow decide).", style="dim")
