"""Archive connectors: S3 with Object Lock and the local write-once folder.

Both satisfy `dossiers.archive.store.ArchiveStore`; `open_store` picks one from settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from connectors.archive.local import LocalFolderArchive
from connectors.archive.s3 import S3Archive, make_client
from connectors.archive.settings import ArchiveSettings
from dossiers.archive.store import ArchiveStore
from dossiers.db import utcnow


def open_store(
    settings: ArchiveSettings, default_dir: Path, clock: Callable[[], datetime] = utcnow
) -> ArchiveStore:
    if settings.backend == "s3":
        secret = settings.s3_secret_key
        client = make_client(
            endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key,
            secret_key=secret.get_secret_value() if secret else None,
            region=settings.s3_region,
            addressing_style=settings.s3_addressing_style,
        )
        store = S3Archive(client, settings.s3_bucket, settings.s3_prefix)
        if settings.s3_create_bucket:
            store.ensure_bucket(settings.s3_region)
        return store
    return LocalFolderArchive(settings.local_dir or default_dir, clock=clock)


__all__ = ["ArchiveSettings", "LocalFolderArchive", "S3Archive", "make_client", "open_store"]
