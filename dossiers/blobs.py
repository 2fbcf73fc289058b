"""A content-addressed folder store: bytes are kept under their SHA-256 until archived.

Layout `<root>/ab/cd/<sha256>`. Writes go to a temporary file in the target folder, are fsynced
and renamed into place, so a reader never sees half a blob and a crash leaves at most a stray
temporary file. Putting the same bytes twice is a no-op, which makes uploads idempotent and lets
the database transaction that references a blob be retried freely. Reads re-check the hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from dossiers.errors import IntegrityFailure, NotFound, ValidationError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValidationError(f"Empreinte SHA-256 invalide : {digest!r}.",
                                  f"Invalid SHA-256 digest: {digest!r}.")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store `data` and return its SHA-256 (hex); existing content is left untouched."""
        digest = sha256_hex(data)
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o400)  # read-only, and personal data: owner only
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        target = self.path(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"Contenu {digest} absent du magasin.",
                           f"Content {digest} is not in the store.") from None
        if sha256_hex(data) != digest:
            raise IntegrityFailure(
                f"Le contenu stocké sous {digest} a été altéré.",
                f"The content stored under {digest} has been altered.",
            )
        return data

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def discard(self, digest: str) -> None:
        """Remove a blob once its document is safely archived (missing is fine)."""
        self.path(digest).unlink(missing_ok=True)
