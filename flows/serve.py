"""`liasse serve`'s orchestration part: serve every deployment of `prefect.yaml` on this machine.

`prefect.yaml` stays the one list of deployments and schedules: here each entry becomes a
`flow.to_deployment(...)` and `prefect.serve` runs them all in this process (a polling loop;
each flow run in its own short-lived subprocess; a suspended run holds nothing). Entries whose
module does not exist yet are skipped with a warning, so a partial checkout still serves.

Needs `PREFECT_API_URL` pointing at a running server (`flows.local_server.LocalPrefectServer`
for the embedded default), so the portal and the CLI can resume runs through the same API.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

import yaml
from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"
logger = logging.getLogger(__name__)


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())["deployments"]


def _schedules(spec: dict[str, Any]) -> list[Schedule]:
    schedules = []
    for item in spec.get("schedules") or []:
        if "cron" in item:
            schedules.append(Cron(item["cron"], timezone=item.get("timezone")))
        elif "interval" in item:
            schedules.append(Interval(item["interval"], timezone=item.get("timezone")))
        else:
            raise ValueError(f"{spec['name']}: unsupported schedule {item!r}")
    return schedules


def load_flow(entrypoint: str) -> Any:
    """`flows/sla.py:sla_reminders` -> the flow object (imported as `flows.sla`)."""
    path, _, name = entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def runner_deployments(path: Path = PREFECT_YAML) -> list[RunnerDeployment]:
    deployments = []
    for spec in deployment_specs(path):
        try:
            flow = load_flow(spec["entrypoint"])
        except (ImportError, AttributeError) as exc:
            logger.warning("skipping deployment %s: %s", spec["name"], exc)
            continue
        deployments.append(
            flow.to_deployment(
                spec["name"],
                schedules=_schedules(spec),
                parameters=spec.get("parameters"),
                tags=spec.get("tags"),
                description=spec.get("description"),
            )
        )
    return deployments


#: What the served flow runs use unless the environment says otherwise (they inherit it).
ENGINE_DEFAULTS = {
    "LIASSE_FILE_ENGINE": "flows.db_file_engine:make_file_engine",
    "LIASSE_SLA_SOURCE": "flows.db_file_engine:make_sla_source",
}


def serve_flows(limit: int | None = None, path: Path = PREFECT_YAML) -> None:
    """Block serving every deployment; `limit` caps concurrently *running* flow runs."""
    for name, value in ENGINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
    serve(*runner_deployments(path), limit=limit, print_starting_message=False)
