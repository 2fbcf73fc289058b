"""What verification says about each signature, in plain data the CLI and portal can print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dossiers.i18n import tr


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    kind: str  # "signature", "seal" or "document-timestamp"
    signer: str
    signing_time: datetime | None
    timestamp: datetime | None
    timestamp_valid: bool | None
    intact: bool
    valid: bool
    trusted: bool
    revocation_info: bool
    coverage: str  # "entire-file", "entire-revision" or "partial"
    modifications: str
    ok: bool
    problems: tuple[str, ...] = ()

    def kind_label(self) -> str:
        return {
            "signature": tr("signature", "signature"),
            "seal": tr("cachet", "seal"),
            "document-timestamp": tr("horodatage du document", "document timestamp"),
        }[self.kind]

    def coverage_label(self) -> str:
        return {
            "entire-file": tr("fichier entier", "entire file"),
            "entire-revision": tr("révision entière", "entire revision"),
            "partial": tr("partielle", "partial"),
        }[self.coverage]


@dataclass(frozen=True)
class VerificationReport:
    signatures: list[SignatureReport]
    evidence_page: int | None = None  # 1-based page number, None if absent
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)
