"""Which documents a file's automatic steps produced: the ids re-runs look up first.

Each link is an audit event (`file.artifact_linked`, subject the file) written in the same
transaction as the thing it names, so a re-run after a crash finds the draft invoice, the
rendered and sealed PDFs (blob digests) or the signing session already made, and never makes a
second one. Stopgap storage: the lead may move this to a `file_artifacts` table (see report);
callers only use `link` / `linked`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import audit
from dossiers.audit.models import AuditEvent

LINKED = "file.artifact_linked"


def link(session: Session, file_id: int, kind: str, data: dict[str, Any], *, actor: str,
         customer_id: int | None = None) -> None:
    audit.record(session, LINKED, subject_type="customer_file", subject_id=file_id,
                 actor=actor, customer_id=customer_id, data={"kind": kind, **data})


def linked(session: Session, file_id: int, kind: str) -> dict[str, Any] | None:
    """The latest link of `kind` for the file, or None."""
    rows = session.scalars(
        select(AuditEvent.data)
        .where(AuditEvent.action == LINKED, AuditEvent.subject_type == "customer_file",
               AuditEvent.subject_id == str(file_id))
        .order_by(AuditEvent.seq.desc())
    )
    return next((data for data in rows if data.get("kind") == kind), None)


def files_linking(session: Session, kind: str, key: str, value: Any) -> list[int]:
    """Files with a link of `kind` whose `key` equals `value` (e.g. the file of an invoice)."""
    rows = session.execute(
        select(AuditEvent.subject_id, AuditEvent.data)
        .where(AuditEvent.action == LINKED, AuditEvent.subject_type == "customer_file")
        .order_by(AuditEvent.seq.desc())
    )
    found = [int(subject) for subject, data in rows
             if data.get("kind") == kind and data.get(key) == value]
    return list(dict.fromkeys(found))
