"""A running file keeps the circuit version it started with, even after the YAML changes."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dossiers.circuits import parse_circuit
from dossiers.db import transaction
from dossiers.files import queries, service
from dossiers.files.state_machine import AwaitHuman

from .helpers import CIRCUITS_DIR, seed

DEFAULT_TEXT = (CIRCUITS_DIR / "default.yaml").read_text()


def test_running_file_keeps_its_version(db: sessionmaker[Session]) -> None:
    customer_id = seed(db)
    with transaction(db) as session:
        old_file = service.start_file(session, customer_id=customer_id,
                                      circuit=parse_circuit(DEFAULT_TEXT), actor="admin")
        old_id = old_file.id
    # The YAML changes: the order form is now decided by another role.
    changed = parse_circuit(DEFAULT_TEXT.replace("role: order_desk", "role: billing"))
    with transaction(db) as session:
        new_file = service.start_file(session, customer_id=customer_id, circuit=changed,
                                      actor="admin")
        assert new_file.circuit_version == 2
        new_id = new_file.id
    with db() as session:
        old_plan = queries.plan_next(session, old_id).action
        new_plan = queries.plan_next(session, new_id).action
        assert service.get_file(session, old_id).circuit_version == 1
    assert isinstance(old_plan, AwaitHuman) and old_plan.role == "order_desk"
    assert isinstance(new_plan, AwaitHuman) and new_plan.role == "billing"
    # ...and the old file is still decided under its pinned rules.
    with transaction(db) as session:
        step_id = queries.plan_next(session, old_id).step_row_id
        assert step_id is not None
        service.approve(session, step_id, "olga")  # order_desk, as in version 1
