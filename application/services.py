"""The composition root: every dependency of Liasse's services, built once and passed in.

httpx's idea applied to a whole application: one `Services` object is built from the
`LIASSE_*` settings by `build_services()` at the edge (a CLI command, a flow run, the demo, the
portal) and handed to every application service; nothing below reaches for a module-level
singleton. A test builds one with its own parts (`build_services(settings, archive=...,
chorus=...)`) and sees exactly those.

What it holds and why each is here rather than built where used:

- `factory`: database sessions (one engine per process, so connection pools are shared);
- `blobs`: content-addressed storage for produced PDFs until they are archived;
- `archive`: the legal archive (local write-once folder or S3 Object Lock) behind its guard;
- `mailer`: SMTP or the outbox folder, with its idempotency ledger;
- `profile`: the issuing company (its identity is frozen into each invoice at issue);
- `pki`: the signing PKI (company seal, signing CA, TSA), loaded on first use only, because
  reading a PKCS#12 seal costs time that `liasse customers list` should not pay;
- `chorus`: a factory of Chorus Pro clients (None when no PISTE application is configured);
- `vies`: the VIES checker used by the invoice gate (None: the gate judges recorded checks only);
- `clock`: "now", injected so tests and replays decide it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session, sessionmaker

from application.errors import ActionFailed
from application.settings import Settings
from connectors.mail import Mailer, make_mailer
from documents.profile import CompanyProfile, current_profile
from dossiers.archive import Archive
from dossiers.blobs import BlobStore
from dossiers.db import make_engine, make_session_factory, utcnow

if TYPE_CHECKING:
    # pyHanko, zeep, boto3 and the Chorus Pro client cost about a second to import: they are
    # imported where a part is built, so a command that builds no `Services` never pays.
    from connectors.chorus_pro import ChorusProClient, ChorusSettings
    from connectors.vies import VatChecker
    from signing.pades.seal import CompanySeal
    from signing.pki.signing_pki import SigningPki

ChorusFactory = Callable[[], AbstractContextManager["ChorusProClient"]]


@dataclass
class Services:
    """Everything an application service may need; see the module docstring."""

    settings: Settings
    factory: sessionmaker[Session]
    blobs: BlobStore
    archive: Archive
    mailer: Mailer
    profile: CompanyProfile
    pki_factory: Callable[[], SigningPki] = field(repr=False)
    chorus: ChorusFactory | None = None
    vies: VatChecker | None = None
    clock: Callable[[], datetime] = utcnow
    actor: str = "system:flow"

    @cached_property
    def pki(self) -> SigningPki:
        """The signing PKI, built on first use and then kept for this `Services`."""
        return self.pki_factory()

    @property
    def seal(self) -> CompanySeal:
        """The company seal every issued invoice and produced document is sealed with."""
        return self.pki.company_seal()

    @contextmanager
    def chorus_client(self) -> Iterator[ChorusProClient]:
        if self.chorus is None:
            raise ActionFailed("Chorus Pro n'est pas configuré (LIASSE_CHORUS_*).",
                               "Chorus Pro is not configured (LIASSE_CHORUS_*).")
        with self.chorus() as client:
            yield client

    def acting_as(self, actor: str) -> Services:
        """The same parts under another actor name (the audit trail says who acted)."""
        twin = replace(self, actor=actor)
        if "pki" in self.__dict__:  # share an already loaded PKI instead of loading it again
            twin.__dict__["pki"] = self.__dict__["pki"]
        return twin


def chorus_from_settings(settings: ChorusSettings | None = None) -> ChorusFactory | None:
    """A factory of Chorus Pro clients, or None when no PISTE application is configured."""
    from connectors.chorus_pro import ChorusProClient, ChorusSettings

    config = settings or ChorusSettings()
    if not config.client_id:
        return None
    return lambda: ChorusProClient(config)


def _vies_from_settings() -> VatChecker:
    from connectors.vies import VatChecker
    from connectors.vies.settings import ViesSettings

    return VatChecker(settings=ViesSettings())


def build_services(
    settings: Settings | None = None,
    factory: sessionmaker[Session] | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    chorus: ChorusFactory | Literal["settings"] | None = "settings",
    vies: VatChecker | Literal["settings"] | None = "settings",
    archive: Archive | None = None,
    pki: SigningPki | Callable[[], SigningPki] | None = None,
    profile: CompanyProfile | None = None,
    actor: str = "system:flow",
) -> Services:
    """The one place Liasse's dependencies are built from the `LIASSE_*` settings.

    Every keyword replaces one part (tests, the demo); "settings" means "from the environment".
    """
    from signing.pki.signing_pki import SigningPki, build_signing_pki
    from signing.settings import SigningSettings

    settings = settings or Settings()
    settings.ensure_home()
    if factory is None:
        factory = make_session_factory(make_engine(settings.resolved_database_url))
    if archive is None:
        from connectors.archive import ArchiveSettings, open_store

        archive_settings = ArchiveSettings()
        store = open_store(archive_settings, default_dir=settings.archive_dir, clock=clock)
        archive = Archive(db=factory, backend=store, policy=archive_settings.retention_policy(),
                          clock=clock)
    if pki is None:
        def pki_factory() -> SigningPki:
            return build_signing_pki(SigningSettings())
    elif isinstance(pki, SigningPki):
        ready = pki

        def pki_factory() -> SigningPki:
            return ready
    else:
        pki_factory = pki
    return Services(
        settings=settings,
        factory=factory,
        blobs=BlobStore(settings.blob_dir),
        archive=archive,
        mailer=make_mailer(factory, settings.outbox_dir),
        profile=profile or current_profile(),
        pki_factory=pki_factory,
        chorus=chorus_from_settings() if chorus == "settings" else chorus,
        vies=_vies_from_settings() if vies == "settings" else vies,
        clock=clock,
        actor=actor,
    )
