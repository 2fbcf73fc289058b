"""Reading circuit YAML files into validated `Circuit` objects, with one-line errors.

An operator editing `circuits/*.yaml` must learn from one sentence which file, which step and
what is wrong; pydantic's multi-line reports are folded into that sentence here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml

from dossiers.circuits.schema import Circuit, CircuitProblem, check_graph
from dossiers.errors import ValidationError
from dossiers.input_validation import pydantic_reason


class CircuitError(ValidationError):
    """An invalid circuit definition; the message names the file, the step and the problem."""


def load_circuit(path: Path) -> Circuit:
    """Read and validate one circuit file (its `name` must match the file name)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CircuitError(
            f"{path} : fichier de circuit illisible ({exc.strerror})",
            f"{path}: unreadable circuit file ({exc.strerror})",
        ) from exc
    circuit = parse_circuit(text, source=str(path))
    if circuit.name != path.stem:
        raise CircuitError(
            f"{path} : le nom « {circuit.name} » doit être celui du fichier « {path.stem} »",
            f"{path}: name '{circuit.name}' must match the file name '{path.stem}'",
        )
    return circuit


def load_circuits(folder: Path) -> dict[str, Circuit]:
    """Every `*.yaml` circuit of a folder, by name; the first invalid file raises."""
    return {c.name: c for c in (load_circuit(p) for p in sorted(folder.glob("*.yaml")))}


def parse_circuit(text: str, *, source: str = "<circuit>") -> Circuit:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}" if mark else ""
        where_en = f" at line {mark.line + 1}" if mark else ""
        raise CircuitError(
            f"{source} : YAML invalide{where} ({getattr(exc, 'problem', exc)})",
            f"{source}: invalid YAML{where_en} ({getattr(exc, 'problem', exc)})",
        ) from exc
    if not isinstance(raw, dict):
        raise CircuitError(
            f"{source} : un circuit doit être un dictionnaire (name, label, steps)",
            f"{source}: a circuit must be a mapping (name, label, steps)",
        )
    try:
        circuit = Circuit.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise _folded(exc, raw, source) from exc
    try:
        check_graph(circuit)
    except CircuitProblem as problem:
        raise CircuitError(
            _prefix(source, problem.step_id, "fr") + problem.fr,
            _prefix(source, problem.step_id, "en") + problem.en,
        ) from problem
    return circuit


def _prefix(source: str, step_id: str | None, language: str) -> str:
    if step_id is None:
        return f"{source} : " if language == "fr" else f"{source}: "
    if language == "fr":
        return f"{source}, étape « {step_id} » : "
    return f"{source}, step '{step_id}': "


def _folded(exc: pydantic.ValidationError, raw: dict[str, Any], source: str) -> CircuitError:
    """The first pydantic error as one sentence naming the step (by id when it has one)."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    step_id: str | None = None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = raw.get("steps") or []
        entry = steps[loc[1]] if loc[1] < len(steps) else None
        step_id = str(entry.get("id")) if isinstance(entry, dict) and entry.get("id") else None
        step_id = step_id or f"#{loc[1] + 1}"
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or "?"
    fr, en = _describe(error)
    return CircuitError(
        f"{_prefix(source, step_id, 'fr')}champ « {field} » : {fr}",
        f"{_prefix(source, step_id, 'en')}field '{field}': {en}",
    )


def _describe(error: Any) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return "obligatoire et absent", "required and missing"
    if kind == "extra_forbidden":
        return "champ inconnu", "unknown field"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return (f"valeur « {given} » invalide, attendu : {expected.replace(' or ', ' ou ')}",
                f"invalid value '{given}', expected: {expected}")
    if kind == "greater_than":
        return (f"doit être > {ctx.get('gt')} (reçu {given})",
                f"must be > {ctx.get('gt')} (got {given})")
    if kind == "string_pattern_mismatch":
        return (f"« {given} » invalide (minuscules, chiffres, _)",
                f"'{given}' is invalid (lower-case letters, digits, _)")
    return pydantic_reason(error)  # never pydantic's English in the French message
