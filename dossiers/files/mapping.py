"""Between rows and the pure machine: build a `FileView` from a file's rows, write one back.

The machine's `StepRun` and the `file_steps` row share their field names, so copying is
generic: a new field added to both travels without touching this module.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from dossiers.circuits import Circuit
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.states import FileView, StepRun

_RUN_FIELDS = tuple(f.name for f in fields(StepRun))


def view_of(file: CustomerFile) -> FileView:
    runs = tuple(
        StepRun(**{name: getattr(row, name) for name in _RUN_FIELDS})
        for row in sorted(file.steps, key=lambda r: r.seq)
    )
    return FileView(state=file.state, runs=runs, outcome=file.outcome, closed_at=file.closed_at)


def write_view(file: CustomerFile, view: FileView, circuit: Circuit, at: datetime) -> None:
    """Make the rows say what `view` says (update changed runs, add new ones)."""
    rows = {row.seq: row for row in file.steps}
    for run in view.runs:
        row = rows.get(run.seq)
        if row is None:
            step = circuit.step(run.step_id)
            row = FileStep(kind=step.kind, mode=step.mode)
            file.steps.append(row)
        for name in _RUN_FIELDS:
            value = getattr(run, name)
            if getattr(row, name) != value:
                setattr(row, name, value)
    file.state = view.state
    file.outcome = view.outcome
    file.closed_at = view.closed_at
    current = view.current
    file.current_step = current.step_id if current else None
    file.current_seq = current.seq if current else None
    file.updated_at = at
