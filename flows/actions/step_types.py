"""What the file engine hands an automatic step handler, and what the handler answers.

A handler is a plain function `(services, file_id, step) -> ActionResult`: `services` is the
application's composition root (`application.services.Services`), `step` the `file_steps` row
and circuit definition being run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class StepRef:
    """The automatic step being run: its `file_steps` row and its circuit definition."""

    row_id: int
    step_id: str
    kind: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionResult:
    """`done`: the step is complete (note for the audit trail); `waiting`: the step started
    something that finishes later (a signing session) and stays running until told."""

    note: str
    status: Literal["done", "waiting"] = "done"
