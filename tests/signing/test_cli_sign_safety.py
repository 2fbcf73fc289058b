"""Issue 14 through `liasse sign`: a mail outage at open (item 8), the simulated SMS said plainly
(item 11), no code before the document was viewed (item 12), private files on disk (item 10)."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from liasse.cli import environment
from liasse.cli.main import root
from signing.sessions.models import SigningSession
from tests.mail.conftest import smtp_server  # noqa: F401 (the real SMTP server fixture)
from tests.mail.support import SMTP_LOGIN, SMTP_PASSWORD

from .test_cli_sign import home, run  # noqa: F401 (the embedded-defaults home fixture)

CLAIRE = "Claire Dubois;claire@client.example;0612345678;client"
MARC = "Marc Leroy;marc@liasse.example;0798765432;manager"


def invoke(*args: str, lang: str = "en"):  # -> click.testing.Result
    return CliRunner().invoke(root, ["--lang", lang, *args])


def open_args(source: Path, title: str = "Contrat démo") -> list[str]:
    return ["sign", "open", str(source), "--title", title, "--signer", CLAIRE, "--signer", MARC]


def session_count() -> int:
    with environment.session_factory()() as s:
        return s.scalar(select(func.count()).select_from(SigningSession)) or 0


def test_smtp_down_at_open_prints_the_reference_and_a_retry_makes_no_duplicate(
    home: Path, contract: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
    smtp_server,  # noqa: F811
) -> None:
    source = tmp_path / "contrat.pdf"
    source.write_bytes(contract)
    monkeypatch.setenv("LIASSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIASSE_SMTP_PORT", "1")
    monkeypatch.setenv("LIASSE_SMTP_STARTTLS", "false")
    environment.clear_caches()

    first = invoke(*open_args(source))
    assert first.exit_code == 0, first.output
    reference = re.search(r"Session opened: (\w+)", first.output).group(1)  # type: ignore[union-attr]
    text = " ".join(first.output.split())
    assert "not sent yet" in text and f"liasse sign resend {reference}" in text
    assert session_count() == 1

    again = invoke(*open_args(source))
    assert again.exit_code == 0, again.output
    assert reference in again.output and "already open" in " ".join(again.output.split())
    assert session_count() == 1  # no duplicate

    monkeypatch.setenv("LIASSE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("LIASSE_SMTP_USERNAME", SMTP_LOGIN)
    monkeypatch.setenv("LIASSE_SMTP_PASSWORD", SMTP_PASSWORD)
    environment.clear_caches()
    resent = invoke("sign", "resend", reference)
    assert resent.exit_code == 0, resent.output
    assert "claire@client.example" in resent.output
    assert invoke("sign", "resend", reference).exit_code == 0
    assert [m.rcpt_tos for m in smtp_server.recorder.mails] == [["claire@client.example"]]


def test_send_code_says_the_sms_is_simulated_and_needs_a_view_first(
    home: Path, contract: bytes, tmp_path: Path  # noqa: F811
) -> None:
    source = tmp_path / "contrat.pdf"
    source.write_bytes(contract)
    reference = re.search(  # type: ignore[union-attr]
        r"Session opened: (\w+)", run(*open_args(source))).group(1)

    refused = invoke("sign", "send-code", reference, "--signer", "1")
    assert refused.exit_code != 0
    assert "open the document" in getattr(refused.exception, "en", "").lower(), refused
    assert not (home / "outbox" / "sms.json").exists()  # nothing texted

    run("sign", "view", reference, "--signer", "1")
    sent = " ".join(run("sign", "send-code", reference, "--signer", "1").split())
    assert "Code sent by SMS." not in sent
    assert "simulated SMS" in sent and "LIASSE_SMS_BACKEND=fake" in sent
    french = invoke("sign", "send-code", reference, "--signer", "1", lang="fr")
    assert french.exit_code == 0, french.output
    assert "SMS simulé" in french.output and "aucun SMS réel" in french.output


def _group_or_other_bits(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual shell default: files world-readable
    try:
        yield
    finally:
        os.umask(previous)


def test_state_on_disk_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contract: bytes, loose_umask: None
) -> None:
    home_dir = tmp_path / "private-home"
    for name in ("LIASSE_DATABASE_URL", "LIASSE_SECRET_KEY", "LIASSE_SEAL_CERT",
                 "LIASSE_TSA_URL", "LIASSE_TWILIO_BASE_URL", "LIASSE_TRUST_ROOTS",
                 "LIASSE_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIASSE_HOME", str(home_dir))
    environment.clear_caches()
    try:
        source = tmp_path / "contrat.pdf"
        source.write_bytes(contract)
        run("db", "upgrade")
        reference = re.search(  # type: ignore[union-attr]
            r"Session opened: (\w+)", run(*open_args(source))).group(1)
        run("sign", "view", reference, "--signer", "1")
        run("sign", "send-code", reference, "--signer", "1")
    finally:
        environment.clear_caches()
    assert stat.S_IMODE(home_dir.stat().st_mode) == 0o700
    for name in ("liasse.db", "secret.key", "outbox/sms.json", "outbox/sms-keys.json"):
        assert stat.S_IMODE((home_dir / name).stat().st_mode) == 0o600, name
    assert json.loads((home_dir / "outbox" / "sms.json").read_text())  # the demo reads it
    assert list((home_dir / "outbox").glob("*.eml"))
    loose = [str(p.relative_to(home_dir)) for p in home_dir.rglob("*")
             if _group_or_other_bits(p)]
    assert loose == []
