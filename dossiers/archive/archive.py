"""What every archive operation needs, bundled once: database, store, policy and clock.

The clock is injected so tests (and a replay) decide what "now" is; the store is always used
through Liasse's guard, so no code path can reach a destructive backend call unguarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from dossiers.archive.guard import Clock, GuardedStore
from dossiers.archive.retention import RetentionPolicy
from dossiers.archive.store import ArchiveStore
from dossiers.db import utcnow


@dataclass(frozen=True)
class Archive:
    db: sessionmaker[Session]
    backend: ArchiveStore
    policy: RetentionPolicy
    clock: Clock = utcnow

    @property
    def store(self) -> GuardedStore:
        return GuardedStore(self.backend, self.clock)
