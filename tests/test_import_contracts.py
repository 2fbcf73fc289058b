"""The import contracts of `pyproject.toml` ([tool.importlinter]) hold, and they bite.

`make test` runs `lint-imports` before pytest; this test runs it too, then proves the contracts
are not vacuous: on a copy of the tree where the domain imports a flow (an arrow that runs back
up) or two domain modules import each other (a circle), `lint-imports` fails and names the
import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dossiers", "documents", "signing", "connectors", "application", "flows", "portal",
            "liasse")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"),
                           "--no-cache"], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages' Python files and the configuration, nothing else."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=lambda _dir, names: [n for n in names if not (
                            n.endswith(".py") or (Path(_dir) / n).is_dir())
                            or n == "__pycache__"])
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold_on_the_tree() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_arrow_back_up_breaks_the_layers(tree_copy: Path) -> None:
    assert lint(tree_copy).returncode == 0  # the copy is faithful
    db = tree_copy / "dossiers" / "db.py"
    db.write_text(db.read_text() + "\nimport flows.control  # noqa: E402,F401\n")
    result = lint(tree_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "dossiers.db -> flows.control" in result.stdout


def test_a_circle_breaks_the_acyclic_contract(tree_copy: Path) -> None:
    staff = tree_copy / "dossiers" / "staff" / "service.py"
    staff.write_text(staff.read_text() + "\nimport dossiers.customers.service  # noqa\n")
    result = lint(tree_copy)
    assert result.returncode != 0
    assert "No import circles" in result.stdout and ".staff -> .customers" in result.stdout
