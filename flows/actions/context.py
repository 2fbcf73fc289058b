"""What an automatic step handler needs at hand, built once from settings.

`ActionContext` is the composition root of the actions: database sessions, the blob store for
produced PDFs, the legal archive, the mailer, a way to reach Chorus Pro, the company profile and
a clock. Handlers are plain functions `(ctx, file_id, step) -> ActionResult`; a test builds the
context with its own archive folder, outbox and fake Chorus Pro URL, production with
`build_context()` from the `LIASSE_*` environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from connectors.archive import ArchiveSettings, open_store
from connectors.chorus_pro import ChorusProClient, ChorusSettings
from connectors.mail import Mailer, make_mailer
from documents.profile import CompanyProfile, current_profile
from dossiers.archive import Archive
from dossiers.blobs import BlobStore
from dossiers.db import make_engine, make_session_factory, utcnow
from dossiers.errors import LiasseError
from liasse.settings import Settings, get_settings


class ActionFailed(LiasseError):
    """A business failure of an automatic step (not worth retrying): the circuit's
    `on_failure` target takes over with this reason (e.g. an invoice Chorus Pro would bounce)."""


@dataclass(frozen=True)
class StepRef:
    """The automatic step being run: its `file_steps` row and its circuit definition."""

    row_id: int
    step_id: str
    kind: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionResult:
    """`done`: the step is complete (note for the audit trail); `waiting`: the step started
    something that finishes later (a signing session) and stays running until told."""

    note: str
    status: Literal["done", "waiting"] = "done"


@dataclass
class ActionContext:
    factory: sessionmaker[Session]
    settings: Settings
    blobs: BlobStore
    archive: Archive
    mailer: Mailer
    profile: CompanyProfile
    chorus: Callable[[], Any] | None = None  # -> context manager yielding a ChorusProClient
    clock: Callable[[], datetime] = utcnow
    actor: str = "system:flow"

    @contextmanager
    def chorus_client(self) -> Iterator[ChorusProClient]:
        if self.chorus is None:
            raise ActionFailed("Chorus Pro n'est pas configuré (LIASSE_CHORUS_*).",
                               "Chorus Pro is not configured (LIASSE_CHORUS_*).")
        with self.chorus() as client:
            yield client


def chorus_from_settings(settings: ChorusSettings | None = None) -> Callable[[], Any] | None:
    """A factory of Chorus Pro clients, or None when no PISTE application is configured."""
    config = settings or ChorusSettings()
    if not config.client_id:
        return None
    return lambda: ChorusProClient(config)


def build_context(
    settings: Settings | None = None,
    factory: sessionmaker[Session] | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    chorus: Callable[[], Any] | Literal["settings"] | None = "settings",
) -> ActionContext:
    """The one place the actions' dependencies are built from the `LIASSE_*` settings."""
    settings = settings or get_settings()
    settings.ensure_home()
    if factory is None:
        factory = make_session_factory(make_engine(settings.resolved_database_url))
    archive_settings = ArchiveSettings()
    store = open_store(archive_settings, default_dir=settings.archive_dir, clock=clock)
    return ActionContext(
        factory=factory,
        settings=settings,
        blobs=BlobStore(settings.blob_dir),
        archive=Archive(db=factory, backend=store, policy=archive_settings.retention_policy(),
                        clock=clock),
        mailer=make_mailer(factory, settings.outbox_dir),
        profile=current_profile(),
        chorus=chorus_from_settings() if chorus == "settings" else chorus,
        clock=clock,
    )
