"""Helpers shared by the archive tests: an injected clock and what a test may do behind
Liasse's back (move the S3 server's clock, tamper with stored bytes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from connectors.archive import LocalFolderArchive, S3Archive
from dossiers.archive.store import ArchiveStore


class TestClock:
    """An injected clock: starts at a fixed instant, moves only when told."""

    __test__ = False

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now



# --- server-side time and tampering (what a test may do behind Liasse's back) ------------------
def move_server_clock(backend: ArchiveStore, moment: datetime,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the store itself believe it is `moment`.

    moto compares a version's retain-until with `moto.s3.models.utcnow()` (naive UTC) when a
    delete arrives (`FakeKey.is_locked`); ThreadedMotoServer runs in this process, so patching
    that name moves the server's clock. A real S3 cannot be time-travelled: skip there.
    """
    if isinstance(backend, LocalFolderArchive):
        return  # the local folder reads the same injected clock as Liasse
    if not _in_process_moto(backend):
        pytest.skip("cannot move the clock of an external S3 endpoint")
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "utcnow", lambda: moment.replace(tzinfo=None))


def _in_process_moto(store: S3Archive) -> bool:
    return store.prefix == "" and "127.0.0.1" in store.client.meta.endpoint_url


def _moto_key(store: S3Archive, key: str, version_id: str) -> Any:
    from moto.s3.models import s3_backends

    for account in s3_backends.values():
        for backend in account.values():
            bucket = backend.buckets.get(store.bucket)
            if bucket is None:
                continue
            for version in bucket.keys.getlist(key):
                if str(version.version_id) == version_id:
                    return bucket, version
    raise AssertionError(f"{key} {version_id} not found in moto's backend")


def corrupt_object(backend: ArchiveStore, key: str, version_id: str, body: bytes) -> None:
    """Replace the stored bytes of one version, as a faulty disk or an intruder would."""
    if isinstance(backend, LocalFolderArchive):
        path = backend.root / f"{key}@versions" / f"{version_id}.data"
        path.chmod(0o644)
        path.write_bytes(body)
        return
    assert isinstance(backend, S3Archive)
    if not _in_process_moto(backend):
        pytest.skip("cannot tamper with an external S3 endpoint's stored bytes")
    _bucket, version = _moto_key(backend, key, version_id)
    version.value = body


def remove_object(backend: ArchiveStore, key: str, version_id: str) -> None:
    """Make one version vanish without any delete call Liasse would have to make."""
    if isinstance(backend, LocalFolderArchive):
        (backend.root / f"{key}@versions" / f"{version_id}.data").unlink()
        return
    assert isinstance(backend, S3Archive)
    if not _in_process_moto(backend):
        pytest.skip("cannot remove a locked version from an external S3 endpoint")
    bucket, _version = _moto_key(backend, key, version_id)
    remaining = [v for v in bucket.keys.getlist(key) if str(v.version_id) != version_id]
    if remaining:
        bucket.keys.setlist(key, remaining)
    else:
        bucket.keys.pop(key)


def add_customer(factory: Any, number: str = "C000042") -> int:
    """A minimal customer row (with its sales rep) so archive rows can reference it."""
    from dossiers.customers.models import Customer, CustomerType
    from dossiers.db import transaction
    from dossiers.staff.models import StaffUser

    with transaction(factory) as session:
        rep = StaffUser(login=f"rep-{number}", full_name="Rep", email="rep@liasse.example")
        session.add(rep)
        session.flush()
        customer = Customer(number=number, type=CustomerType.NORMAL, last_name="Dupont",
                            sales_rep_id=rep.id)
        session.add(customer)
        session.flush()
        return customer.id


def tamper_metadata(backend: ArchiveStore, key: str, version_id: str, sha256: str) -> None:
    """Rewrite the SHA-256 an object's own metadata claims (bytes left intact)."""
    if isinstance(backend, LocalFolderArchive):
        import json

        sidecar = backend.root / f"{key}@versions" / f"{version_id}.json"
        data = json.loads(sidecar.read_text())
        data["metadata"]["sha256"] = sha256
        sidecar.chmod(0o644)
        sidecar.write_text(json.dumps(data))
        return
    assert isinstance(backend, S3Archive)
    if not _in_process_moto(backend):
        pytest.skip("cannot rewrite metadata in place on an external S3 endpoint")
    _bucket, version = _moto_key(backend, key, version_id)
    version._metadata["x-amz-meta-sha256"] = sha256
