"""Validation circuits: YAML definitions checked with pydantic, and their stored versions.

A circuit is an ordered list of steps; each step is decided by a human role or run automatically,
and names where the file goes on approval, rejection or failure. Loading a circuit registers its
canonical content hash, so a running file keeps the exact version it started with.

Public surface: `Circuit`, `StepDef`, `CircuitError`, `load_circuit`, `load_circuits`,
`parse_circuit`, `register_version`, `pinned_circuit`, `CircuitVersion`.
"""

from dossiers.circuits.loader import CircuitError, load_circuit, load_circuits, parse_circuit
from dossiers.circuits.schema import CLOSE, Circuit, StepDef
from dossiers.circuits.versions import CircuitVersion, pinned_circuit, register_version

__all__ = [
    "CLOSE",
    "Circuit",
    "CircuitError",
    "CircuitVersion",
    "StepDef",
    "load_circuit",
    "load_circuits",
    "parse_circuit",
    "pinned_circuit",
    "register_version",
]
