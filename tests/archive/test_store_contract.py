"""Both backends behave the same under Liasse's rules, against a real S3 wire-protocol server.

The S3 leg talks HTTP to moto's server (or to the endpoint in `LIASSE_TEST_S3_*`) with boto3;
the local leg uses the embedded folder. The guard tests show Liasse refusing *before* any call
reaches the store, which matters where the store would accept (moto, shown below).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from connectors.archive import LocalFolderArchive, S3Archive
from dossiers.archive.errors import PrematureDeletion, RetentionInPast, RetentionShortening
from dossiers.archive.guard import GuardedStore
from dossiers.archive.store import COMPLIANCE, ArchiveStore, ObjectLocked, ObjectMissing
from dossiers.errors import IllegalTransition, ValidationError

from .support import TestClock, move_server_clock

BODY = b"%PDF-1.7 facture F-2026-0001"
META = {"sha256": hashlib.sha256(BODY).hexdigest(), "document-type": "invoice"}


def _put(store: ArchiveStore, clock: TestClock, key: str = "invoice/2026/F-1.pdf",
         days: int = 30) -> tuple[str, Any]:
    until = clock() + timedelta(days=days)
    return store.put(key, BODY, META, until), until


def test_put_writes_compliance_retention_and_metadata(backend: ArchiveStore,
                                                      clock: TestClock) -> None:
    version, until = _put(backend, clock)
    info = backend.head("invoice/2026/F-1.pdf", version)
    assert info.lock_mode == COMPLIANCE
    assert info.retain_until == until
    assert info.metadata["sha256"] == META["sha256"]
    assert info.size == len(BODY)
    assert backend.get("invoice/2026/F-1.pdf", version).body == BODY


def test_store_itself_refuses_delete_under_retention(backend: ArchiveStore,
                                                     clock: TestClock) -> None:
    version, _ = _put(backend, clock)
    with pytest.raises(ObjectLocked):
        backend.delete("invoice/2026/F-1.pdf", version)  # unguarded: the backend says no
    assert backend.get("invoice/2026/F-1.pdf", version).body == BODY


def test_second_put_adds_a_version_and_the_original_stays(backend: ArchiveStore,
                                                          clock: TestClock) -> None:
    first, _ = _put(backend, clock)
    second = backend.put("invoice/2026/F-1.pdf", b"other bytes", META, clock() + timedelta(days=1))
    assert first != second
    assert backend.get("invoice/2026/F-1.pdf", first).body == BODY
    assert backend.get("invoice/2026/F-1.pdf").body == b"other bytes"
    versions = list(backend.iter_versions("invoice/"))
    assert {v.version_id for v in versions} == {first, second}
    assert [v.is_latest for v in versions if v.version_id == second] == [True]


def test_missing_key_and_version_are_reported(backend: ArchiveStore, clock: TestClock) -> None:
    version, _ = _put(backend, clock)
    with pytest.raises(ObjectMissing):
        backend.head("invoice/2026/nothing.pdf")
    with pytest.raises(ObjectMissing):
        backend.get("invoice/2026/F-1.pdf", "999999" if version != "999999" else "1")


def test_guard_refuses_delete_before_expiry_without_calling_the_store(
    backend: ArchiveStore, clock: TestClock
) -> None:
    version, _ = _put(backend, clock)
    calls = _count_deletes(backend)
    with pytest.raises(PrematureDeletion):
        GuardedStore(backend, clock).delete("invoice/2026/F-1.pdf", version)
    assert calls == []  # no DeleteObject went over the wire
    assert backend.get("invoice/2026/F-1.pdf", version).body == BODY


def test_legal_hold_blocks_delete_even_after_expiry(
    backend: ArchiveStore, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    version, _ = _put(backend, clock, days=1)
    guarded = GuardedStore(backend, clock)
    guarded.set_legal_hold("invoice/2026/F-1.pdf", version, True)
    assert backend.head("invoice/2026/F-1.pdf", version).legal_hold
    move_server_clock(backend, clock.advance(days=2), monkeypatch)
    with pytest.raises(PrematureDeletion):
        guarded.delete("invoice/2026/F-1.pdf", version)
    with pytest.raises(ObjectLocked):
        backend.delete("invoice/2026/F-1.pdf", version)  # and the backend agrees
    guarded.set_legal_hold("invoice/2026/F-1.pdf", version, False)
    guarded.delete("invoice/2026/F-1.pdf", version)
    with pytest.raises(ObjectMissing):
        backend.head("invoice/2026/F-1.pdf", version)


def test_delete_after_expiry_succeeds(backend: ArchiveStore, clock: TestClock,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    version, until = _put(backend, clock, days=1)
    move_server_clock(backend, until + timedelta(seconds=1), monkeypatch)
    clock.now = until + timedelta(seconds=1)
    GuardedStore(backend, clock).delete("invoice/2026/F-1.pdf", version)
    assert list(backend.iter_versions("invoice/")) == []


def test_guard_refuses_shortening_and_lengthening_works(backend: ArchiveStore,
                                                        clock: TestClock) -> None:
    version, until = _put(backend, clock)
    guarded = GuardedStore(backend, clock)
    with pytest.raises(RetentionShortening):
        guarded.extend_retention("invoice/2026/F-1.pdf", version, until - timedelta(days=1))
    with pytest.raises(RetentionShortening):
        guarded.extend_retention("invoice/2026/F-1.pdf", version, until)
    assert backend.head("invoice/2026/F-1.pdf", version).retain_until == until
    longer = until + timedelta(days=365)
    guarded.extend_retention("invoice/2026/F-1.pdf", version, longer)
    info = backend.head("invoice/2026/F-1.pdf", version)
    assert (info.retain_until, info.lock_mode) == (longer, COMPLIANCE)


def test_guard_refuses_a_retain_until_in_the_past(backend: ArchiveStore,
                                                  clock: TestClock) -> None:
    with pytest.raises(RetentionInPast):
        GuardedStore(backend, clock).put("invoice/2026/F-1.pdf", BODY, META,
                                         clock() - timedelta(seconds=1))
    assert list(backend.iter_versions()) == []


def test_local_folder_refuses_shortening_by_itself(tmp_path: Any, clock: TestClock) -> None:
    store = LocalFolderArchive(tmp_path, clock=clock)
    version, until = _put(store, clock)
    with pytest.raises(IllegalTransition):
        store.extend_retention("invoice/2026/F-1.pdf", version, until - timedelta(days=1))
    data = tmp_path / "invoice/2026/F-1.pdf@versions" / f"{version}.data"
    assert data.stat().st_mode & 0o222 == 0  # written once, read-only


def test_bad_keys_and_metadata_are_refused(backend: ArchiveStore, clock: TestClock) -> None:
    until = clock() + timedelta(days=1)
    for key in ("../escape.pdf", "/abs.pdf", "a//b.pdf", "é.pdf"):
        with pytest.raises(ValidationError):
            backend.put(key, BODY, META, until)
    with pytest.raises(ValidationError):
        backend.put("ok.pdf", BODY, {"customer": "Société"}, until)
    assert list(backend.iter_versions()) == []


def test_moto_alone_accepts_shortening_and_governance(backend: ArchiveStore,
                                                      clock: TestClock) -> None:
    """What the guard protects against: moto takes a shorter date and a switch to GOVERNANCE
    (real S3 refuses both under COMPLIANCE), and does not implement GetObjectRetention."""
    if not isinstance(backend, S3Archive) or backend.prefix:
        pytest.skip("documents moto's behaviour; real S3 refuses this")
    version, until = _put(backend, clock)
    shorter = until - timedelta(days=29)
    backend.client.put_object_retention(
        Bucket=backend.bucket, Key="invoice/2026/F-1.pdf", VersionId=version,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": shorter},
    )
    info = backend.head("invoice/2026/F-1.pdf", version)
    assert (info.lock_mode, info.retain_until) == ("GOVERNANCE", shorter)


def _count_deletes(store: ArchiveStore) -> list[str]:
    """Record every DeleteObject the S3 client is about to send (the real client's event hook)."""
    calls: list[str] = []
    if isinstance(store, S3Archive):
        store.client.meta.events.register(
            "before-call.s3.DeleteObject", lambda **kwargs: calls.append("DeleteObject")
        )
    return calls


def test_expiry_on_the_servers_own_clock(backend: ArchiveStore) -> None:
    """Against an external S3 (MinIO, AWS) whose clock cannot be moved: a retention of a few
    seconds, then wait for the server to reach it. Elsewhere the injected clocks cover this."""
    if not isinstance(backend, S3Archive) or not backend.prefix:
        pytest.skip("only for an external endpoint (LIASSE_TEST_S3_ENDPOINT)")
    import time

    from dossiers.db import utcnow

    until = utcnow().replace(microsecond=0) + timedelta(seconds=3)
    version = backend.put("scratch/expiring.pdf", BODY, META, until)
    with pytest.raises(PrematureDeletion):
        GuardedStore(backend).delete("scratch/expiring.pdf", version)
    while utcnow() <= until + timedelta(seconds=1):
        time.sleep(0.5)  # real time on purpose: the server's clock is the one under test
    GuardedStore(backend).delete("scratch/expiring.pdf", version)
    with pytest.raises(ObjectMissing):
        backend.head("scratch/expiring.pdf", version)


def test_a_bucket_without_object_lock_is_refused(s3_target: Any) -> None:
    if s3_target.bucket is not None:
        pytest.skip("creates a bucket; not done on an external endpoint")
    import uuid

    from dossiers.archive.store import StoreError

    client = s3_target.client()
    name = f"plain-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name,
                         CreateBucketConfiguration={"LocationConstraint": s3_target.region})
    with pytest.raises(StoreError, match="Object Lock"):
        S3Archive(client, name).ensure_bucket(s3_target.region)
