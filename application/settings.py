"""Settings read from `LIASSE_*` environment variables.

Embedded defaults keep every piece of state under one folder (`./var/` unless `LIASSE_HOME` says
otherwise) so the demo runs on a bare machine: a SQLite file, a write-once archive folder, an
outbox of e-mails and SMS. Production overrides each with a real service URL. Secrets never live
in the repository: when no `LIASSE_SECRET_KEY` is given, a random key is generated once into
`var/secret.key` so signed links and OTP hashes stay stable across runs of the demo.

The state folder holds personal data (the database, blobs, the SMS outbox with codes and phone
numbers) and secrets: `ensure_home` makes it private to the user running Liasse (folders 0700,
and a process umask of 077 so every file written afterwards, by Liasse or its libraries, is
0600). The key file is created complete and already 0600 in one atomic step, so two first
runs racing each other end up with the same key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
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
        """Create the state folders private to this user (0700) and keep them so: the process
        umask gains 077 (files 0600 from now on), a looser home is tightened, and the default
        SQLite file is created 0600 before the database engine first opens it."""
        private_umask()
        for folder in (self.home, self.archive_dir, self.outbox_dir, self.blob_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _tighten(folder)
        if not self.database_url:
            _create_private(self.home / "liasse.db")

    def resolved_secret_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        self.ensure_home()
        key_file = self.home / "secret.key"
        if not key_file.exists():
            _write_key_once(key_file, secrets.token_hex(32))
        _tighten(key_file)
        key = key_file.read_text().strip()
        if not key:
            raise ValueError(f"{key_file} is empty: remove it (a new key is generated) or set "
                             "LIASSE_SECRET_KEY")
        return key.encode()


def private_umask() -> None:
    """Add 077 to the process umask: what this process creates is its user's alone."""
    current = os.umask(0o077)
    os.umask(current | 0o077)


def _tighten(path: Path) -> None:
    """Drop group and other permissions from a path this user owns (left as is otherwise)."""
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass


def _create_private(path: Path) -> None:
    """Create an empty file 0600 if missing (an empty file is a valid new SQLite database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path)


def _write_key_once(key_file: Path, key: str) -> None:
    """Write the key to a private temporary file, then link it into place: the key file never
    exists half-written or readable by others, and when two first runs race, the link of the
    second fails and it reads the first one's key."""
    temporary = key_file.with_name(f"{key_file.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another first run won: its key is the key
            os.link(temporary, key_file)
    finally:
        temporary.unlink(missing_ok=True)

