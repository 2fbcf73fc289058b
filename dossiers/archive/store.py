"""The one interface every archive backend speaks (S3 with Object Lock, the local WORM folder).

It lives in the domain because the domain is what needs it: `dossiers.archive` drives a store
without knowing which connector sits behind it (the arrows point from `flows`/CLI to both, never
from `dossiers` to `connectors`). Backends satisfy the Protocol structurally.

Rules every backend enforces on its own (S3 does it in the service, the local folder in code):
a put never replaces bytes (a second put on a key adds a version), a version under retention or
legal hold cannot be deleted, retention can only be lengthened. Liasse adds its own guard on top
(`dossiers.archive.guard`) because some backends (moto, misconfigured buckets) accept more than
real S3 does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from dossiers.errors import IllegalTransition, IntegrityFailure, LiasseError, NotFound

COMPLIANCE = "COMPLIANCE"

# Object metadata written with every archived object (S3 user metadata: ASCII, lower-case keys).
META_DOCUMENT_ID = "document-id"
META_CUSTOMER = "customer"
META_DOCUMENT_TYPE = "document-type"
META_DOCUMENT_NUMBER = "document-number"
META_SHA256 = "sha256"
META_RETENTION_CLASS = "retention-class"
META_ISSUE_DATE = "issue-date"


@dataclass(frozen=True)
class ObjectInfo:
    """What a backend knows about one stored version (from HEAD, never from the body)."""

    key: str
    version_id: str
    size: int
    retain_until: datetime | None
    lock_mode: str | None
    legal_hold: bool
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        return self.metadata.get(META_SHA256)


@dataclass(frozen=True)
class StoredObject:
    info: ObjectInfo
    body: bytes


@dataclass(frozen=True)
class VersionRef:
    key: str
    version_id: str
    size: int
    is_latest: bool


@runtime_checkable
class ArchiveStore(Protocol):
    """Write-once object storage with per-version retention and legal hold."""

    def put(
        self, key: str, body: bytes, metadata: Mapping[str, str], retain_until: datetime
    ) -> str:
        """Store a new version under COMPLIANCE retention; return its version id."""
        ...

    def get(self, key: str, version_id: str | None = None) -> StoredObject: ...

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo: ...

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> None: ...

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None: ...

    def delete(self, key: str, version_id: str) -> None:
        """Permanently remove one version (refused while retained or held)."""
        ...

    def iter_versions(self, prefix: str = "") -> Iterator[VersionRef]: ...


class ObjectMissing(NotFound):
    """The key or version is not in the store."""

    def __init__(self, key: str, version_id: str | None = None) -> None:
        where = f"{key} (version {version_id})" if version_id else key
        super().__init__(
            f"Objet introuvable dans l'archive : {where}.",
            f"Object not found in the archive: {where}.",
        )
        self.key = key
        self.version_id = version_id


class ObjectLocked(IllegalTransition):
    """The backend itself refused a destructive call (retention or legal hold)."""

    def __init__(self, key: str, version_id: str, why: str) -> None:
        super().__init__(
            f"L'archive refuse la suppression de {key} (version {version_id}) : {why}.",
            f"The archive refuses to delete {key} (version {version_id}): {why}.",
        )


class CorruptObject(IntegrityFailure):
    """The backend's own checksum check failed while reading (S3 `x-amz-checksum-sha256`)."""

    def __init__(self, key: str, version_id: str | None, detail: str) -> None:
        super().__init__(
            f"Contenu altéré pour {key} (version {version_id}) : {detail}.",
            f"Corrupted content for {key} (version {version_id}): {detail}.",
        )
        self.detail = detail


class StoreError(LiasseError):
    """The backend failed for a reason that is not the caller's input (network, permissions)."""
