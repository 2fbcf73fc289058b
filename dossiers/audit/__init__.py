"""The tamper-evident audit trail.

Every state change in Liasse appends one `AuditEvent` in the same transaction as the change.
Events form a hash chain: each stores the SHA-256 of the previous event and of its own canonical
content, so editing, removing or reordering any event breaks the chain at a place `verify` names.

Public surface: `record`, `verify`, `AuditEvent`, `ChainReport`.
"""

from dossiers.audit.chain import ChainProblem, ChainReport, canonical_content, verify
from dossiers.audit.models import AuditChainHead, AuditEvent
from dossiers.audit.record import record

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "ChainProblem",
    "ChainReport",
    "canonical_content",
    "record",
    "verify",
]
