"""`liasse config` lists every layer's settings and never prints a secret."""

from __future__ import annotations

import pytest

from liasse.cli.config import settings_rows


def test_every_layer_is_listed_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIASSE_CHORUS_CLIENT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "s3")
    rows = {name: current for name, _default, current, _meaning in settings_rows()}
    for prefix in ("LIASSE_HOME", "LIASSE_ARCHIVE_", "LIASSE_CHORUS_", "LIASSE_VIES_",
                   "LIASSE_SMTP_", "LIASSE_SEAL_"):
        assert any(name.startswith(prefix) for name in rows), prefix
    assert rows["LIASSE_ARCHIVE_BACKEND"] == "s3"
    assert rows["LIASSE_CHORUS_CLIENT_SECRET"] == "••••••"
    assert not any("s3cr3t" in value for value in rows.values())


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://liasse:hunter2@db.example:5432/liasse",
    "postgresql://liasse:hunter2@db.example/liasse?sslmode=require",
    "postgresql://db.example/liasse?user=liasse&password=hunter2",
])
def test_passwords_inside_urls_are_masked(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("LIASSE_DATABASE_URL", url)
    rows = {name: current for name, _default, current, _meaning in settings_rows()}
    shown = rows["LIASSE_DATABASE_URL"]
    assert "hunter2" not in shown and "db.example" in shown and "liasse" in shown
    assert "••••••" in shown


def test_config_says_which_sms_backend_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from liasse.cli.main import root

    monkeypatch.delenv("LIASSE_SMS_BACKEND", raising=False)
    monkeypatch.setenv("LIASSE_DATABASE_URL", "postgresql://liasse:hunter2@db.example/liasse")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(root, ["--lang", "en", "config"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    text = " ".join(result.output.split())
    assert "SMS backend: fake (simulated: no real SMS is sent" in text
    monkeypatch.setenv("LIASSE_SMS_BACKEND", "twilio")
    text = " ".join(CliRunner().invoke(root, ["--lang", "en", "config"]).output.split())
    assert "SMS backend: twilio (real SMS" in text
