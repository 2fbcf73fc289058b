"""Where a demo run lives: a fresh folder each time, or `LIASSE_HOME` if it is empty."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from liasse.demo.home import HomeNotEmpty, choose_home, use_embedded_defaults

NOW = datetime(2026, 11, 24, 9, 30, 5)


def test_a_fresh_dated_folder_under_var_demo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LIASSE_HOME", raising=False)
    first = choose_home(NOW, base=tmp_path)
    assert first == tmp_path / "var" / "demo" / "20261124-093005"
    first.mkdir(parents=True)
    assert choose_home(NOW, base=tmp_path) == tmp_path / "var" / "demo" / "20261124-093005-2"


def test_liasse_home_is_used_unless_it_holds_a_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    assert choose_home(NOW) == tmp_path
    (tmp_path / "liasse.db").write_bytes(b"")
    with pytest.raises(HomeNotEmpty) as refused:
        choose_home(NOW)
    assert "liasse.db" in refused.value.message


def test_embedded_defaults_drop_other_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIASSE_DATABASE_URL", "postgresql+psycopg://elsewhere/db")
    monkeypatch.setenv("LIASSE_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("LIASSE_LANGUAGE", "en")
    monkeypatch.setenv("LIASSE_HOME", "ignored")
    dropped = use_embedded_defaults(tmp_path / "home")
    try:
        assert dropped == ["LIASSE_DATABASE_URL", "LIASSE_SMTP_HOST"]
        assert os.environ["LIASSE_HOME"] == str((tmp_path / "home").resolve())
        assert os.environ["LIASSE_LANGUAGE"] == "en"
        assert "LIASSE_DATABASE_URL" not in os.environ
    finally:
        from liasse.cli.environment import clear_caches

        monkeypatch.undo()
        clear_caches()
