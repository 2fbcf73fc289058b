"""Integrity checks: re-read archived objects and compare their SHA-256 with the ledger, and
their retention and hold with every other record of them.

`verify(sample=N)` checks the N objects verified longest ago (never-verified first), so a daily
run of `rolling_sample_size(total, period_days)` objects re-checks every object within the
period. Besides the content, each object's retain-until, lock mode and legal hold in the store
(S3 Object Lock, or the local folder's sidecar) must agree with the database, its hold records
and the audit trail (`dossiers.archive.records`): a retention shortened on the server or edited
in the database is found here, not only when the sweep refuses to delete. Every mismatch or
missing object is reported and written to the audit trail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select

from dossiers.archive.archive import Archive
from dossiers.archive.models import ArchivedDocument, ArchiveState
from dossiers.archive.records import read_records
from dossiers.archive.retrieval import Mismatch, check_object, record_failure
from dossiers.audit import record
from dossiers.db import transaction
from dossiers.errors import ValidationError


@dataclass(frozen=True)
class Problem:
    record_id: int
    key: str
    kind: str  # "content" | "metadata" | "missing" | "retention" | "lock_mode" | "hold" | "audit"
    detail: str


@dataclass
class VerificationReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def rolling_sample_size(total: int, period_days: int) -> int:
    """How many objects to check per day so every one is checked within `period_days`.

    >>> rolling_sample_size(100, 30), rolling_sample_size(0, 30), rolling_sample_size(30, 30)
    (4, 0, 1)
    """
    if period_days < 1:
        raise ValidationError("La période doit compter au moins un jour.",
                              "The period must be at least one day.")
    return math.ceil(total / period_days)


def verify(
    archive: Archive, sample: int | None = None, actor: str = "system"
) -> VerificationReport:
    """Check `sample` objects (oldest verification first), or all of them when None."""
    if sample is not None and sample < 0:
        raise ValidationError("La taille d'échantillon doit être positive.",
                              "The sample size must be positive.")
    query = (
        select(ArchivedDocument)
        .where(ArchivedDocument.state == ArchiveState.ARCHIVED)
        .order_by(ArchivedDocument.last_verified_at.asc().nulls_first(), ArchivedDocument.id)
    )
    if sample is not None:
        query = query.limit(sample)
    with archive.db() as session:
        rows = list(session.scalars(query))
    report = VerificationReport()
    for row in rows:
        _body, problem = check_object(archive, row)
        report.checked += 1
        if problem is not None:
            report.problems.append(Problem(row.id, row.key, problem.kind, problem.detail))
            record_failure(archive, row, problem, actor)
        if problem is not None and problem.kind == "missing":
            continue
        for drift in read_records(archive, row).disagreements():
            report.problems.append(Problem(row.id, row.key, drift.kind, drift.detail))
            record_failure(archive, row, Mismatch(drift.kind, drift.detail), actor)
    if rows:
        _stamp(archive, [row.id for row in rows], report, actor)
    return report


def _stamp(archive: Archive, ids: list[int], report: VerificationReport, actor: str) -> None:
    now = archive.clock()
    with transaction(archive.db) as session:
        for row in session.scalars(select(ArchivedDocument).where(ArchivedDocument.id.in_(ids))):
            row.last_verified_at = now
        record(session, "archive.verification_run", subject_type="archive", subject_id="all",
               actor=actor, data={"checked": report.checked,
                                  "problems": len(report.problems)})


def verify_rolling(archive: Archive, period_days: int, actor: str = "system") -> VerificationReport:
    """The daily run: enough of the oldest-verified objects to cover all within the period."""
    with archive.db() as session:
        total = session.scalar(
            select(func.count()).select_from(ArchivedDocument)
            .where(ArchivedDocument.state == ArchiveState.ARCHIVED)
        ) or 0
    return verify(archive, sample=rolling_sample_size(total, period_days), actor=actor)
