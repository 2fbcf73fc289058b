"""Stored circuit versions: a running file keeps the exact circuit it started with.

The version key is the SHA-256 of the circuit's canonical JSON (validated content, sorted keys),
so comments and formatting in the YAML never make a new version, while any change of meaning
does. The definition itself is stored too: an old file is driven by its pinned definition even
after the YAML changed or vanished.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from dossiers.audit import record
from dossiers.circuits.schema import Circuit
from dossiers.db import Base, utcnow
from dossiers.errors import NotFound


class CircuitVersion(Base):
    __tablename__ = "circuit_versions"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        UniqueConstraint("name", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


def canonical_json(circuit: Circuit) -> str:
    return json.dumps(
        circuit.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_hash(circuit: Circuit) -> str:
    return hashlib.sha256(canonical_json(circuit).encode("utf-8")).hexdigest()


def register_version(
    session: Session, circuit: Circuit, *, actor: str = "system"
) -> CircuitVersion:
    """The stored version of this exact content, created (version = last + 1) when new."""
    digest = content_hash(circuit)
    existing = _by_hash(session, circuit.name, digest)
    if existing is not None:
        return existing
    last = session.scalar(
        select(func.max(CircuitVersion.version)).where(CircuitVersion.name == circuit.name)
    )
    row = CircuitVersion(
        name=circuit.name,
        version=(last or 0) + 1,
        content_hash=digest,
        definition=json.loads(canonical_json(circuit)),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another process registered the same content (or took that number) first.
        existing = _by_hash(session, circuit.name, digest)
        if existing is None:
            raise
        return existing
    record(
        session,
        "circuit.version_registered",
        subject_type="circuit",
        subject_id=f"{row.name}@{row.version}",
        actor=actor,
        data={"name": row.name, "version": row.version, "content_hash": digest},
    )
    return row


def pinned_circuit(session: Session, name: str, version: int) -> Circuit:
    """The circuit definition a file pinned when it started."""
    row = session.scalars(
        select(CircuitVersion).where(CircuitVersion.name == name, CircuitVersion.version == version)
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"Version {version} du circuit « {name} » introuvable.",
            f"Version {version} of circuit '{name}' not found.",
        )
    return Circuit.model_validate(row.definition)


def _by_hash(session: Session, name: str, digest: str) -> CircuitVersion | None:
    return session.scalars(
        select(CircuitVersion).where(
            CircuitVersion.name == name, CircuitVersion.content_hash == digest
        )
    ).one_or_none()
