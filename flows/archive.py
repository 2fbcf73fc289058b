"""Thin Prefect flows over the archive domain functions (scheduled in `prefect.yaml`).

Each flow builds the archive from settings and calls one plain function; the logic (and its
tests) lives in `dossiers.archive`. `log_prints=True` sends the prints to the flow run's log and
keeps the bodies callable without a run context (`retention_sweep_flow.fn(...)`). Worker
subprocesses reach S3 through `endpoint_url`, never an in-process mock.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow

from application.services import Services, build_services
from connectors.archive import ArchiveSettings
from dossiers.archive import Archive, export_audit_segment, retention_sweep, verify_rolling
from signing.cades import seal_bytes


def _services() -> Services:
    """The flow run's composition root (no Chorus Pro or VIES needed here)."""
    return build_services(chorus=None, vies=None)


def _archive() -> tuple[Archive, ArchiveSettings]:
    return _services().archive, ArchiveSettings()


@flow(name="retention_sweep", log_prints=True)
def retention_sweep_flow(dry_run: bool = True, limit: int | None = None) -> dict[str, Any]:
    """Delete documents past retention and not on hold; dry run unless told otherwise."""
    archive, _ = _archive()
    report = retention_sweep(archive, dry_run=dry_run, limit=limit, actor="flow:retention_sweep")
    print(f"retention sweep: {report}")
    return asdict(report)


@flow(name="archive_rolling_verification", log_prints=True)
def rolling_verification_flow() -> dict[str, Any]:
    """Re-verify today's share so every object is checked within the configured period."""
    archive, config = _archive()
    report = verify_rolling(archive, config.verify_period_days, actor="flow:archive_verify")
    print(f"verified {report.checked} objects, {len(report.problems)} problem(s)")
    if not report.ok:
        raise RuntimeError(f"archive integrity problems: {report.problems}")
    return {"checked": report.checked, "problems": [asdict(p) for p in report.problems]}


@flow(name="audit_log_export", log_prints=True)
def audit_log_export_flow(seal: bool = True) -> dict[str, Any] | None:
    """Archive the audit events since the last segment, with its CAdES seal (`audit_log_seal`).

    The seal is the configured company seal (the demo PKI's when none is configured), so the
    log's integrity can be proved from the archive alone, without trusting the database.
    """
    services = _services()

    def company_seal(data: bytes) -> bytes:
        return seal_bytes(data, services.seal)

    exported = export_audit_segment(services.archive, seal=company_seal if seal else None,
                                    actor="flow:audit_log_export")
    if exported is None:
        return None
    segment = exported.segment
    return {
        "segment": segment.number,
        "first_seq": segment.first_seq,
        "last_seq": segment.last_seq,
        "sha256": segment.sha256,
        "sealed": seal,
    }
