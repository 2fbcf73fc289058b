"""The embedded archive: a local folder that enforces write-once retention by itself.

Layout: `<root>/<key>@versions/<n>.data` holds the bytes of version `n` (made read-only, never
rewritten: it is linked into place with `os.link`, which fails rather than overwrite), and
`<n>.json` its sidecar (metadata, SHA-256, retain-until, legal hold). Every put adds a version,
as on a versioned S3 bucket. A version is deleted only once its retain-until has passed (by the
injected clock) and it is not on legal hold; retention is only ever lengthened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from dossiers.archive.keys import check_key, check_metadata
from dossiers.archive.store import (
    COMPLIANCE,
    ObjectInfo,
    ObjectLocked,
    ObjectMissing,
    StoredObject,
    VersionRef,
)
from dossiers.db import utcnow
from dossiers.errors import IllegalTransition

SUFFIX = "@versions"


class LocalFolderArchive:
    def __init__(self, root: Path, clock: Callable[[], datetime] = utcnow) -> None:
        self.root = Path(root)
        self.clock = clock
        self.root.mkdir(parents=True, exist_ok=True)

    # --- paths and sidecars ----------------------------------------------------------------
    def _dir(self, key: str) -> Path:
        return self.root / (check_key(key) + SUFFIX)

    def _versions(self, key: str) -> list[int]:
        folder = self._dir(key)
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())

    def _resolve(self, key: str, version_id: str | None) -> tuple[Path, str]:
        versions = self._versions(key)
        if version_id is None:
            if not versions:
                raise ObjectMissing(key)
            version_id = str(versions[-1])
        elif not version_id.isdigit() or int(version_id) not in versions:
            raise ObjectMissing(key, version_id)
        return self._dir(key), version_id

    @staticmethod
    def _read_sidecar(folder: Path, version_id: str) -> dict[str, Any]:
        return json.loads((folder / f"{version_id}.json").read_text())

    @staticmethod
    def _write_sidecar(folder: Path, version_id: str, sidecar: dict[str, Any]) -> None:
        tmp = folder / f".{version_id}.json.tmp"
        tmp.write_text(json.dumps(sidecar, indent=2, sort_keys=True))
        tmp.chmod(0o444)
        os.replace(tmp, folder / f"{version_id}.json")

    @contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _info(sidecar: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            key=sidecar["key"],
            version_id=sidecar["version_id"],
            size=sidecar["size"],
            retain_until=datetime.fromisoformat(sidecar["retain_until"]),
            lock_mode=sidecar["lock_mode"],
            legal_hold=sidecar["legal_hold"],
            metadata=sidecar["metadata"],
        )

    # --- ArchiveStore ----------------------------------------------------------------------
    def put(
        self, key: str, body: bytes, metadata: Mapping[str, str], retain_until: datetime
    ) -> str:
        folder = self._dir(key)
        clean = check_metadata(metadata)
        if retain_until <= self.clock():
            raise IllegalTransition("Date de conservation passée.", "Retain-until in the past.")
        with self._locked(folder):
            tmp = folder / f".put-{os.getpid()}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.chmod(0o444)
            number = (self._versions(key) or [0])[-1] + 1
            while True:
                try:
                    os.link(tmp, folder / f"{number}.data")  # never replaces an existing file
                    break
                except FileExistsError:
                    number += 1
            tmp.unlink()
            version_id = str(number)
            self._write_sidecar(folder, version_id, {
                "key": key,
                "version_id": version_id,
                "size": len(body),
                "content_sha256": hashlib.sha256(body).hexdigest(),
                "metadata": clean,
                "retain_until": retain_until.isoformat(),
                "lock_mode": COMPLIANCE,
                "legal_hold": False,
                "created_at": self.clock().isoformat(),
            })
        return version_id

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        folder, version_id = self._resolve(key, version_id)
        if not (folder / f"{version_id}.data").exists():
            raise ObjectMissing(key, version_id)
        return self._info(self._read_sidecar(folder, version_id))

    def get(self, key: str, version_id: str | None = None) -> StoredObject:
        info = self.head(key, version_id)
        body = (self._dir(key) / f"{info.version_id}.data").read_bytes()
        return StoredObject(info, body)

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> None:
        folder, version_id = self._resolve(key, version_id)
        with self._locked(folder):
            sidecar = self._read_sidecar(folder, version_id)
            if retain_until <= datetime.fromisoformat(sidecar["retain_until"]):
                raise IllegalTransition(
                    "Le dossier d'archive refuse de raccourcir une conservation.",
                    "The archive folder refuses to shorten a retention.",
                )
            sidecar["retain_until"] = retain_until.isoformat()
            self._write_sidecar(folder, version_id, sidecar)

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        folder, version_id = self._resolve(key, version_id)
        with self._locked(folder):
            sidecar = self._read_sidecar(folder, version_id)
            sidecar["legal_hold"] = on
            self._write_sidecar(folder, version_id, sidecar)

    def delete(self, key: str, version_id: str) -> None:
        folder, version_id = self._resolve(key, version_id)
        with self._locked(folder):
            info = self._info(self._read_sidecar(folder, version_id))
            if info.legal_hold:
                raise ObjectLocked(key, version_id, "legal hold")
            if info.retain_until is None or info.retain_until > self.clock():
                raise ObjectLocked(key, version_id, "retention")
            (folder / f"{version_id}.data").unlink(missing_ok=True)
            (folder / f"{version_id}.json").unlink()

    def iter_versions(self, prefix: str = "") -> Iterator[VersionRef]:
        for folder in sorted(self.root.rglob(f"*{SUFFIX}")):
            key = folder.relative_to(self.root).as_posix()[: -len(SUFFIX)]
            if not key.startswith(prefix):
                continue
            versions = self._versions(key)
            for number in reversed(versions):
                sidecar = self._read_sidecar(folder, str(number))
                yield VersionRef(key, str(number), sidecar["size"], number == versions[-1])
