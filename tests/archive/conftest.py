"""Archive fixtures: a real S3 wire-protocol server and both backends behind one parameter.

S3: by default moto's server mode (`ThreadedMotoServer` on 127.0.0.1, a free port) reached over
HTTP by boto3 with `endpoint_url` — not in-process mocking. Point the same tests at any S3
(MinIO, AWS…) with `LIASSE_TEST_S3_ENDPOINT`, `LIASSE_TEST_S3_ACCESS_KEY`,
`LIASSE_TEST_S3_SECRET_KEY`, `LIASSE_TEST_S3_BUCKET` (an Object-Lock bucket) and
`LIASSE_TEST_S3_REGION`; each test then works under its own key prefix. Tests that must move the
server's clock or tamper with stored bytes need moto in this process and skip elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.archive import LocalFolderArchive, S3Archive, make_client
from dossiers.archive import Archive, RetentionPolicy
from dossiers.archive.store import ArchiveStore

from .support import TestClock


@dataclass(frozen=True)
class S3Target:
    endpoint: str
    access_key: str
    secret_key: str
    region: str
    bucket: str | None  # None: a fresh bucket per test (moto)
    in_process_moto: bool

    def client(self) -> Any:
        return make_client(endpoint_url=self.endpoint, access_key=self.access_key,
                           secret_key=self.secret_key, region=self.region)


@pytest.fixture(scope="session")
def s3_target() -> Iterator[S3Target]:
    endpoint = os.environ.get("LIASSE_TEST_S3_ENDPOINT")
    region = os.environ.get("LIASSE_TEST_S3_REGION", "eu-west-3")
    if endpoint:
        yield S3Target(endpoint, os.environ.get("LIASSE_TEST_S3_ACCESS_KEY", ""),
                       os.environ.get("LIASSE_TEST_S3_SECRET_KEY", ""), region,
                       os.environ.get("LIASSE_TEST_S3_BUCKET", "liasse-test"), False)
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Target(f"http://{host}:{port}", "testing", "testing", region, None, True)
    finally:
        server.stop()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(datetime.now(UTC).replace(microsecond=0))


def make_s3_store(target: S3Target) -> S3Archive:
    client = target.client()
    if target.bucket is None:
        store = S3Archive(client, f"liasse-{uuid.uuid4().hex[:16]}")
        store.ensure_bucket(target.region)
    else:
        store = S3Archive(client, target.bucket, prefix=f"test-{uuid.uuid4().hex[:12]}/")
    return store


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, clock: TestClock) -> ArchiveStore:
    if request.param == "local":
        return LocalFolderArchive(tmp_path / "archive", clock=clock)
    return make_s3_store(request.getfixturevalue("s3_target"))


@pytest.fixture
def archive(db: sessionmaker[Session], backend: ArchiveStore, clock: TestClock) -> Archive:
    return Archive(db=db, backend=backend, policy=RetentionPolicy(), clock=clock)


