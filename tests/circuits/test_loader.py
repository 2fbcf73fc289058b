"""Circuit YAML validation: the shipped circuits load; every broken rule is named in one line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from dossiers.circuits import CLOSE, CircuitError, load_circuit, load_circuits
from dossiers.i18n import set_language

CIRCUITS_DIR = Path(__file__).resolve().parents[2] / "circuits"

VALID: dict[str, Any] = {
    "name": "demo",
    "label": {"fr": "Démo", "en": "Demo"},
    "steps": [
        {"id": "check", "label": {"fr": "Contrôle", "en": "Check"}, "kind": "order_form",
         "mode": "human", "role": "order_desk", "sla_hours": 24, "on_approve": "render",
         "on_reject": "close"},
        {"id": "render", "label": {"fr": "Édition", "en": "Render"}, "kind": "invoice",
         "mode": "automatic", "action": "render", "on_approve": "review",
         "on_failure": "check"},
        {"id": "review", "label": {"fr": "Relecture", "en": "Review"}, "kind": "contract",
         "mode": "human", "role": "contract_manager", "sla_hours": 8, "escalate_after_hours": 16,
         "on_approve": "close", "on_reject": "check"},
    ],
}


def write(tmp_path: Path, data: Any, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True))
    return path


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def test_shipped_default_circuit_follows_the_seed() -> None:
    circuit = load_circuit(CIRCUITS_DIR / "default.yaml")
    ids = [s.id for s in circuit.steps]
    assert ids[:5] == ["order_form", "supporting_documents", "contract_draft", "contract_review",
                       "signature"]
    signature = circuit.step("signature")
    assert signature.mode == "automatic" and signature.action == "sign"
    assert signature.params["signers"] == "customer,sales_rep"
    automatic_invoice = [s.action for s in circuit.steps if s.kind == "invoice" and not s.is_human]
    assert automatic_invoice == ["render", "seal", "archive", "send", "deposit"]
    assert circuit.step("invoice_deposit").on_approve == CLOSE
    assert all(s.role and s.sla_hours for s in circuit.steps if s.is_human)


def test_shipped_dispute_circuit_has_three_outcomes() -> None:
    circuit = load_circuit(CIRCUITS_DIR / "dispute.yaml")
    review = circuit.step("dispute_review")
    assert set(review.outcomes) == {"credit_note", "correction"}
    assert review.on_reject == CLOSE  # the third outcome: the claim is rejected
    assert circuit.first_step.action == "legal_hold"


def test_load_circuits_reads_the_folder() -> None:
    assert set(load_circuits(CIRCUITS_DIR)) >= {"default", "dispute"}


def test_valid_fixture_loads(tmp_path: Path) -> None:
    assert load_circuit(write(tmp_path, VALID)).step("review").escalate_after_hours == 16


def _set(path: list[Any], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _drop(index: int, key: str) -> Any:
    return lambda data: data["steps"][index].pop(key)


CASES = [
    ("unknown target", _set(["steps", 0, "on_approve"], "nowhere"), "check", "nowhere"),
    ("duplicate id", _set(["steps", 2, "id"], "render"), "render", "duplicate step id"),
    ("missing role", _drop(0, "role"), "check", "role"),
    ("bad kind", _set(["steps", 1, "kind"], "letter"), "render", "kind"),
    ("zero SLA", _set(["steps", 2, "sla_hours"], 0), "review", "must be > 0"),
    ("negative SLA", _set(["steps", 0, "sla_hours"], -4), "check", "must be > 0"),
    ("bad mode", _set(["steps", 0, "mode"], "manual"), "check", "mode"),
    ("bad action", _set(["steps", 1, "action"], "fax"), "render", "action"),
    ("no action", _drop(1, "action"), "render", "must name its action"),
    ("human without on_reject", _drop(0, "on_reject"), "check", "on_reject"),
    ("automatic without on_failure", _drop(1, "on_failure"), "render", "on_failure"),
    ("reject forward", _set(["steps", 0, "on_reject"], "review"), "check", "earlier step"),
    ("unknown field", _set(["steps", 0, "colour"], "red"), "check", "unknown field"),
    ("self loop", _set(["steps", 0, "on_approve"], "check"), "check", "itself"),
    ("escalation before SLA", _set(["steps", 2, "escalate_after_hours"], 4), "review",
     "escalate_after_hours"),
    ("no human SLA", _drop(2, "sla_hours"), "review", "sla_hours"),
]


@pytest.mark.parametrize(("label", "change", "step", "needle"), CASES, ids=[c[0] for c in CASES])
def test_broken_circuit_names_file_step_and_problem(
    tmp_path: Path, label: str, change: Any, step: str, needle: str
) -> None:
    with pytest.raises(CircuitError) as error:
        load_circuit(write(tmp_path, broken(change)))
    set_language("en")
    try:
        message = str(error.value)
    finally:
        set_language("fr")
    assert error.value.fr != error.value.en  # both languages are written
    assert "demo.yaml" in message
    assert f"'{step}'" in message
    assert needle in message
    assert "\n" not in message


def test_unreachable_step_is_named(tmp_path: Path) -> None:
    def orphan(data: dict[str, Any]) -> None:
        data["steps"].append({"id": "orphan", "label": {"fr": "O", "en": "O"}, "kind": "custom",
                              "mode": "human", "role": "order_desk", "sla_hours": 1,
                              "on_approve": "close", "on_reject": "check"})
    with pytest.raises(CircuitError, match=r"« orphan » : étape inaccessible"):
        load_circuit(write(tmp_path, broken(orphan)))


def test_circuit_without_end_is_refused(tmp_path: Path) -> None:
    def endless(data: dict[str, Any]) -> None:
        data["steps"][2]["on_approve"] = "check"
        data["steps"][0]["on_reject"] = "close"
    with pytest.raises(CircuitError, match="pas de fin"):
        load_circuit(write(tmp_path, broken(endless)))


def test_step_trapped_in_a_loop_is_refused(tmp_path: Path) -> None:
    def trap(data: dict[str, Any]) -> None:
        data["steps"].append({"id": "loop_a", "label": {"fr": "A", "en": "A"}, "kind": "custom",
                              "mode": "automatic", "action": "notify", "on_approve": "loop_b",
                              "on_failure": "loop_b"})
        data["steps"].append({"id": "loop_b", "label": {"fr": "B", "en": "B"}, "kind": "custom",
                              "mode": "automatic", "action": "notify", "on_approve": "loop_a",
                              "on_failure": "loop_a"})
        data["steps"][0]["on_reject"] = "close"
        data["steps"][1]["on_failure"] = "loop_a"
    with pytest.raises(CircuitError, match=r"« loop_a » : aucun chemin"):
        load_circuit(write(tmp_path, broken(trap)))


def test_close_is_reserved(tmp_path: Path) -> None:
    with pytest.raises(CircuitError, match="réservé"):
        load_circuit(write(tmp_path, broken(_set(["steps", 2, "id"], "close"))))


def test_invalid_yaml_syntax_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: demo\nsteps: [\n  - id: x\n")
    with pytest.raises(CircuitError, match=r"demo\.yaml : YAML invalide ligne \d+"):
        load_circuit(path)


def test_name_must_match_file(tmp_path: Path) -> None:
    with pytest.raises(CircuitError, match="doit être celui du fichier"):
        load_circuit(write(tmp_path, VALID, name="other"))


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(CircuitError, match="dictionnaire"):
        load_circuit(write(tmp_path, "- just\n- a list\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CircuitError, match="illisible"):
        load_circuit(tmp_path / "nope.yaml")
