"""Archive settings, read from `LIASSE_ARCHIVE_*` environment variables.

Kept in this package until the lead merges the fields into `application.settings.Settings`.
Mappings are JSON in the environment, e.g.
`LIASSE_ARCHIVE_DOCUMENT_CLASSES='{"invoice": "commercial_10y", "receipt": "tax_6y"}'`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dossiers.archive.retention import (
    DEFAULT_CLASSES,
    DEFAULT_DOCUMENT_CLASSES,
    CountFrom,
    RetentionPolicy,
)


class ArchiveSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_ARCHIVE_", extra="ignore")

    backend: Literal["local", "s3"] = Field(default="local", description="local folder or S3.")
    local_dir: Path | None = Field(default=None, description="Defaults to <LIASSE_HOME>/archive.")
    s3_bucket: str = "liasse-archive"
    s3_prefix: str = Field(default="", description="Namespace prepended to every object key.")
    s3_endpoint_url: str | None = Field(default=None, description="MinIO/Scaleway/OVH endpoint.")
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "eu-west-3"
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    s3_create_bucket: bool = Field(default=True, description="Create the bucket if missing.")
    retention_classes: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_CLASSES), description="class name -> years"
    )
    document_classes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_DOCUMENT_CLASSES),
        description="document type -> class name",
    )
    count_from: CountFrom = CountFrom.FISCAL_YEAR_END
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    fiscal_year_end_day: int = Field(default=31, ge=1, le=31)
    verify_period_days: int = Field(
        default=30, ge=1, description="Every object is re-verified within this many days."
    )

    def retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(
            classes=self.retention_classes,
            document_classes=self.document_classes,
            count_from=self.count_from,
            fiscal_year_end_month=self.fiscal_year_end_month,
            fiscal_year_end_day=self.fiscal_year_end_day,
        )
