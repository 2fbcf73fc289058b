"""Settings of the flows, read from `LIASSE_*` variables (to be merged into `application.settings`).

`file_engine` names the factory that builds the domain engine inside a worker process, because
a flow run started by a worker or `serve` cannot receive Python objects: it imports them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FlowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_", extra="ignore")

    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL of the portal, for links in mails."
    )
    alert_link_hours: int = Field(
        default=72, ge=1, description="How long a step link in an alert mail stays valid."
    )
    file_engine: str = Field(
        default="flows.db_file_engine:make_file_engine",
        description="`module:callable(session_factory) -> FileEngine` used by the flows.",
    )
    sla_source: str = Field(
        default="flows.db_file_engine:make_sla_source",
        description="`module:callable(session_factory) -> SlaSource` used by SLA reminders.",
    )
    work_pool: str = Field(default="liasse", description="Prefect process work pool name.")
