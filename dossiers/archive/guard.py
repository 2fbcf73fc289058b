"""Liasse's own retention guard, in front of every backend.

Real S3 in COMPLIANCE mode refuses to shorten a retention or to delete a retained version, but
other S3 implementations accept more (moto accepts shortening and a switch to GOVERNANCE; a bucket
created without Object Lock accepts anything). Liasse therefore never *asks*: before any call that
could shorten or destroy, it reads the version's current state with HEAD and refuses itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from dossiers.archive.errors import PrematureDeletion, RetentionInPast, RetentionShortening
from dossiers.archive.store import ArchiveStore, ObjectInfo, StoredObject, VersionRef
from dossiers.db import utcnow

Clock = Callable[[], datetime]


class GuardedStore:
    """An `ArchiveStore` that refuses shortening and premature deletion before calling through."""

    def __init__(self, inner: ArchiveStore, clock: Clock = utcnow) -> None:
        self.inner = inner
        self.clock = clock

    def put(
        self, key: str, body: bytes, metadata: Mapping[str, str], retain_until: datetime
    ) -> str:
        if retain_until <= self.clock():
            raise RetentionInPast(retain_until)
        return self.inner.put(key, body, metadata, retain_until)

    def get(self, key: str, version_id: str | None = None) -> StoredObject:
        return self.inner.get(key, version_id)

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        return self.inner.head(key, version_id)

    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> None:
        current = self.inner.head(key, version_id)
        if current.retain_until is not None and retain_until <= current.retain_until:
            raise RetentionShortening(key, current.retain_until, retain_until)
        if retain_until <= self.clock():
            raise RetentionInPast(retain_until)
        self.inner.extend_retention(key, version_id, retain_until)

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        self.inner.set_legal_hold(key, version_id, on)

    def delete(self, key: str, version_id: str) -> None:
        self.check_deletable(self.inner.head(key, version_id))
        self.inner.delete(key, version_id)

    def check_deletable(self, info: ObjectInfo) -> None:
        if info.legal_hold:
            raise PrematureDeletion(info.key, "l'objet est sous conservation judiciaire",
                                    "the object is on legal hold")
        if info.retain_until is None:
            # A version without retention was not written by Liasse: never destroy it.
            raise PrematureDeletion(info.key, "aucune date de conservation n'est connue",
                                    "no retain-until date is known")
        if info.retain_until > self.clock():
            raise PrematureDeletion(
                info.key,
                f"conservé jusqu'au {info.retain_until.isoformat()}",
                f"retained until {info.retain_until.isoformat()}",
            )

    def iter_versions(self, prefix: str = "") -> Iterator[VersionRef]:
        return self.inner.iter_versions(prefix)
