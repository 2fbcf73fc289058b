"""Issue 14 item 10: the state folder and what Liasse writes in it are private to its user, and
the secret key is created atomically, already restricted, once even when two first runs race."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.settings import Settings
from connectors.mail.outbox import OutboxMailer
from connectors.sms.fake_twilio import Outbox
from dossiers.blobs import BlobStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_home_is_0700_and_files_written_there_are_0600(tmp_path: Path, loose_umask) -> None:
    settings = Settings(home=tmp_path / "home", secret_key=None)
    settings.ensure_home()
    for folder in (settings.home, settings.archive_dir, settings.outbox_dir, settings.blob_dir):
        assert mode(folder) == 0o700, folder
    assert mode(Path(settings.resolved_database_url.removeprefix("sqlite:///"))) == 0o600
    digest = BlobStore(settings.blob_dir).put(b"%PDF-1.7 personal data")
    assert mode(BlobStore(settings.blob_dir).path(digest)) & 0o077 == 0
    sms = Outbox(settings.outbox_dir / "sms.json")
    sms.add({"to": "+33612345678", "body": "code 123456"})
    assert mode(settings.outbox_dir / "sms.json") == 0o600
    new_file = settings.home / "written-later.txt"
    new_file.write_text("x")  # anything written afterwards by this process
    assert mode(new_file) == 0o600


def test_an_existing_loose_home_is_tightened(tmp_path: Path, loose_umask) -> None:
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    Settings(home=home).ensure_home()
    assert mode(home) == 0o700


def test_secret_key_is_created_once_restricted_and_shared_by_racing_first_runs(
    tmp_path: Path, loose_umask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIASSE_SECRET_KEY", raising=False)
    home = tmp_path / "race"
    created_modes: list[int] = []
    real_open = os.open

    def spying_open(path, flags, mode=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_open(path, flags, mode, *args, **kwargs)
        if "secret.key" in str(path) and flags & os.O_CREAT:
            created_modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(os, "open", spying_open)
    barrier = threading.Barrier(12)
    keys: list[bytes] = []

    def first_run() -> None:
        settings = Settings(home=home)
        barrier.wait()
        keys.append(settings.resolved_secret_key())

    threads = [threading.Thread(target=first_run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 12 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert (home / "secret.key").read_text().strip().encode() == keys[0]
    assert mode(home / "secret.key") == 0o600
    assert created_modes and set(created_modes) == {0o600}  # never readable by others


def test_outbox_mails_are_private(tmp_path: Path, loose_umask, db) -> None:
    from email.message import EmailMessage

    folder = tmp_path / "outbox"
    message = EmailMessage()
    message["To"] = "claire@client.example"
    message["Subject"] = "x"
    message.set_content("lien personnel")
    OutboxMailer(folder, db).send(message, "key-private")
    [eml] = list(folder.glob("*.eml"))
    assert mode(eml) == 0o600
