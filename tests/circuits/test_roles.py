"""Issue 14 item 9: a human step must be decided by a staff role the domain defines; a typo in
a circuit's `role` is refused when the circuit is loaded, naming the file, the step and the role."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from dossiers.circuits import CircuitError, load_circuit, load_circuits, parse_circuit
from dossiers.circuits.roles import KNOWN_ROLES
from dossiers.staff.models import BUILTIN_ROLES

from .test_loader import CIRCUITS_DIR, VALID, write


def test_unknown_role_is_refused_at_load(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["steps"][2]["role"] = "contract_managr"
    with pytest.raises(CircuitError) as refused:
        load_circuit(write(tmp_path, data))
    fr, en = refused.value.fr, refused.value.en
    assert "demo.yaml" in fr and "« review »" in fr and "« contract_managr »" in fr
    assert "rôle inconnu" in fr and "contract_manager" in fr  # the known roles are listed
    assert "unknown role 'contract_managr'" in en


def test_shipped_circuits_use_known_roles_only() -> None:
    circuits = load_circuits(CIRCUITS_DIR)
    roles = {s.role for c in circuits.values() for s in c.steps if s.role}
    assert roles and roles <= set(KNOWN_ROLES)
    assert set(BUILTIN_ROLES) <= set(KNOWN_ROLES)


def test_builtin_staff_roles_may_decide_a_step() -> None:
    data = copy.deepcopy(VALID)
    data["steps"][0]["role"] = "compliance"
    text = __import__("yaml").safe_dump(data)
    assert parse_circuit(text).steps[0].role == "compliance"
