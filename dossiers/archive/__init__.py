"""Legal archive: documents kept under retention, provably intact, retrievable and exportable.

Public surface (each function takes an `Archive` context: database, store, policy, clock):
`archive_document`, `find`, `get_document`, `place_hold`, `release_hold`, `extend_retention`,
`verify`, `verify_rolling`, `retention_sweep`, `export_audit_segment`, `verify_anchors`,
`export_customer`, `verify_bundle`. The store interface is `ArchiveStore`; connectors live in
`connectors.archive`.
"""

from dossiers.archive.archive import Archive
from dossiers.archive.archiving import archive_document
from dossiers.archive.audit_log import check_segment, export_audit_segment, verify_anchors
from dossiers.archive.bundle import export_customer, verify_bundle
from dossiers.archive.holds import extend_retention, place_hold, release_hold
from dossiers.archive.integrity import rolling_sample_size, verify, verify_rolling
from dossiers.archive.models import ArchivedDocument, ArchiveState, AuditLogSegment
from dossiers.archive.retention import CountFrom, RetentionPolicy
from dossiers.archive.retrieval import find, get_document
from dossiers.archive.store import ArchiveStore
from dossiers.archive.sweep import retention_sweep

__all__ = [
    "Archive",
    "ArchiveState",
    "ArchiveStore",
    "ArchivedDocument",
    "AuditLogSegment",
    "CountFrom",
    "RetentionPolicy",
    "archive_document",
    "check_segment",
    "export_audit_segment",
    "export_customer",
    "extend_retention",
    "find",
    "get_document",
    "place_hold",
    "release_hold",
    "retention_sweep",
    "rolling_sample_size",
    "verify",
    "verify_anchors",
    "verify_bundle",
    "verify_rolling",
]
