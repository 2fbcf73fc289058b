"""Circuit versions: same content -> same version; changed content -> new version."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.circuits import CircuitVersion, parse_circuit, pinned_circuit, register_version
from dossiers.db import transaction
from dossiers.errors import NotFound

CIRCUITS_DIR = Path(__file__).resolve().parents[2] / "circuits"
DEFAULT_TEXT = (CIRCUITS_DIR / "default.yaml").read_text()


def test_same_content_same_version_even_reformatted(db: sessionmaker[Session]) -> None:
    original = parse_circuit(DEFAULT_TEXT)
    reformatted = parse_circuit("# a new comment\n" + DEFAULT_TEXT.replace("{fr: ", "{ fr: "))
    with transaction(db) as session:
        first = register_version(session, original)
        again = register_version(session, reformatted)
        assert (first.version, again.version) == (1, 1)
        assert first.id == again.id
    with db() as session:
        assert session.scalar(select(func.count()).select_from(CircuitVersion)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_changed_content_new_version(db: sessionmaker[Session]) -> None:
    changed = parse_circuit(DEFAULT_TEXT.replace("sla_hours: 24\n    escalate_after_hours: 48",
                                                 "sla_hours: 12\n    escalate_after_hours: 48"))
    with transaction(db) as session:
        v1 = register_version(session, parse_circuit(DEFAULT_TEXT))
        v2 = register_version(session, changed)
        assert (v1.version, v2.version) == (1, 2)
        assert v1.content_hash != v2.content_hash
    with db() as session:
        assert pinned_circuit(session, "default", 1).step("order_form").sla_hours == 24
        assert pinned_circuit(session, "default", 2).step("order_form").sla_hours == 12


def test_unknown_pinned_version(db: sessionmaker[Session]) -> None:
    with db() as session, pytest.raises(NotFound, match="Version 9"):
        pinned_circuit(session, "default", 9)


def test_pinned_definition_round_trips(db: sessionmaker[Session]) -> None:
    for text_ in (DEFAULT_TEXT, (CIRCUITS_DIR / "dispute.yaml").read_text()):
        circuit = parse_circuit(text_)
        with transaction(db) as session:
            row = register_version(session, circuit)
        with db() as session:
            assert pinned_circuit(session, row.name, row.version) == circuit
