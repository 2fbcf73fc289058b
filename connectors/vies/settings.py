"""VIES settings, read from `LIASSE_VIES_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ViesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_VIES_", extra="ignore")

    url: str | None = Field(
        default=None,
        description="Service address; default: the address in the packaged WSDL (the EC's).",
    )
    timeout_seconds: float = Field(default=10.0, gt=0)
    cache_ttl_seconds: int = Field(
        default=24 * 3600, ge=0, description="How long a valid/invalid answer is reused."
    )
