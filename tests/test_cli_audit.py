"""`liasse audit verify` through the real entry point, in a subprocess like a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from application.schema import migrate
from dossiers.audit import AuditEvent, record
from dossiers.db import make_engine, make_session_factory, transaction


def _liasse(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIASSE_HOME": str(home), "LIASSE_DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "liasse.cli.main", *args],
        capture_output=True, text=True, env=env, check=False,
    )


def test_audit_verify_reports_tampering_with_exit_code(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'liasse.db').resolve()}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as s:
        for i in range(3):
            record(s, "demo.event", subject_type="demo", subject_id=i)

    ok = _liasse(tmp_path, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "3" in ok.stdout

    with transaction(factory) as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="forged"))
    bad = _liasse(tmp_path, "audit", "verify")
    assert bad.returncode == 7
    assert "#2" in bad.stdout
    assert bad.stderr.count("\n") == 1, bad.stderr  # one clear line, no traceback
