"""SMTP settings, read from `LIASSE_SMTP_*` environment variables.

No host means "no SMTP": the embedded outbox folder receives the mails instead. The password is a
`SecretStr` so it never shows in logs or reprs.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_SMTP_", extra="ignore")

    host: str | None = Field(default=None, description="SMTP server; unset = write to the outbox.")
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    timeout_seconds: float = Field(default=30.0, gt=0)
    sender: str = Field(
        default="Liasse <no-reply@liasse.example>", description="From header of every mail."
    )
    message_id_domain: str = Field(
        default="liasse.example", description="Right-hand side of generated Message-IDs."
    )
