"""Settings read from `LIASSE_*` environment variables.

Embedded defaults keep every piece of state under one folder (`./var/` unless `LIASSE_HOME` says
otherwise) so the demo runs on a bare machine: a SQLite file, a write-once archive folder, an
outbox of e-mails and SMS. Production overrides each with a real service URL. Secrets never live
in the repository: when no `LIASSE_SECRET_KEY` is given, a random key is generated once into
`var/secret.key` so signed links and OTP hashes stay stable across runs of the demo.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIASSE_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Folder holding all embedded state.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file under `home`."
    )
    circuits_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "circuits",
        description="Folder of circuit YAML files.",
    )
    secret_key: str | None = Field(default=None, description="Key for signed links and OTP hashes.")
    language: str = Field(default="fr", description="Default language of user-facing text.")
    npai_threshold: int = Field(
        default=3, ge=1, description="Postal returns before a customer is flagged undeliverable."
    )
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    sales_manager_email: str = "direction.commerciale@liasse.example"

    # --- derived locations -------------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'liasse.db').resolve()}"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def blob_dir(self) -> Path:
        """Content-addressed store for uploads waiting to be archived."""
        return self.home / "blobs"

    def ensure_home(self) -> None:
        for folder in (self.home, self.archive_dir, self.outbox_dir, self.blob_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        self.ensure_home()
        key_file = self.home / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()

