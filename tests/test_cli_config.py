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
