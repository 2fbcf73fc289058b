"""`liasse sign` and `liasse verify` on the embedded defaults: demo PKI generated under the home
folder, local TSA, in-process fake Twilio whose outbox file holds the codes, `.eml` outbox."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liasse.cli import environment
from liasse.cli.main import root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    for name in (
        "LIASSE_DATABASE_URL",
        "LIASSE_TRUST_ROOTS",
        "LIASSE_SEAL_CERT",
        "LIASSE_TSA_URL",
        "LIASSE_TWILIO_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIASSE_HOME", str(home))
    monkeypatch.setenv("LIASSE_SECRET_KEY", "cli-test-secret")
    environment.clear_caches()
    run("db", "upgrade")  # the real migration creates the signing tables
    yield home
    environment.clear_caches()


def run(*args: str) -> str:
    result = CliRunner().invoke(root, ["--lang", "en", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def last_code(home: Path, phone: str) -> str:
    messages = json.loads((home / "outbox" / "sms.json").read_text())
    body = [m["body"] for m in messages if m["to"] == phone][-1]
    return re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]


def test_demo_signing_from_the_command_line(home: Path, contract: bytes, tmp_path: Path) -> None:
    source = tmp_path / "contrat.pdf"
    source.write_bytes(contract)
    opened = run(
        "sign",
        "open",
        str(source),
        "--title",
        "Contrat démo",
        "--signer",
        "Claire Dubois;claire@client.example;0612345678;client",
        "--signer",
        "Marc Leroy;marc@liasse.example;0798765432;manager",
    )
    reference = re.search(r"Session opened: (\w+)", opened).group(1)  # type: ignore[union-attr]
    assert (home / "pki" / "root.pem").is_file()  # demo PKI generated on first use
    assert list((home / "outbox").glob("*.eml"))  # invitation e-mail in the outbox

    for position, phone in ((1, "+33612345678"), (2, "+33798765432")):
        run("sign", "view", reference, "--signer", str(position))
        run("sign", "send-code", reference, "--signer", str(position))
        run("sign", "enter-code", reference, last_code(home, phone), "--signer", str(position))
    assert "completed" in run("sign", "status", reference)
    assert "Valable 10 min" in run("sign", "outbox")

    signed, evidence = tmp_path / "signe.pdf", tmp_path / "preuve.pdf"
    run("sign", "export", reference, "--out", str(signed), "--evidence", str(evidence))
    report = run("verify", str(signed))
    assert "All signatures are valid." in report and "Evidence page: present" in report
    assert report.count("— valid") == 3
    run("verify", str(evidence))

    sealed = tmp_path / "facture.scelle.pdf"
    run("sign", "seal", str(source), "--out", str(sealed))
    assert "1/1 seal" in run("verify", str(sealed))


def test_verify_without_trusted_root_or_signature_fails(
    home: Path, contract: bytes, tmp_path: Path
) -> None:
    unsigned = tmp_path / "brut.pdf"
    unsigned.write_bytes(contract)
    result = CliRunner().invoke(root, ["--lang", "en", "verify", str(unsigned)])
    assert result.exit_code != 0
    missing = CliRunner().invoke(root, ["--lang", "en", "verify", str(tmp_path / "nope.pdf")])
    assert missing.exit_code != 0


def test_malformed_signer_is_refused(home: Path, contract: bytes, tmp_path: Path) -> None:
    source = tmp_path / "contrat.pdf"
    source.write_bytes(contract)
    result = CliRunner().invoke(
        root, ["sign", "open", str(source), "--title", "T", "--signer", "only-a-name"]
    )
    assert result.exit_code != 0
