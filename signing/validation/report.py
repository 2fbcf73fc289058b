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
    # when the certificate was judged and why then (see signing.validation.point_in_time):
    # "signature-timestamp", "document-timestamp", "own-timestamp" or "now"
    validated_at: datetime | None = None
    time_basis: str = "now"
    # when the signature's timestamp itself was judged, and why then (same values)
    timestamp_validated_at: datetime | None = None
    timestamp_time_basis: str | None = None

    def basis_label(self, basis: str | None = None) -> str:
        """Why this moment, in words: a verdict without its validation time proves little."""
        return {
            "signature-timestamp": tr(
                "heure prouvée par l'horodatage de la signature",
                "time proven by the signature timestamp",
            ),
            "document-timestamp": tr(
                "heure prouvée par l'horodatage de document suivant",
                "time proven by the next document timestamp",
            ),
            "own-timestamp": tr(
                "sa propre heure, révocation embarquée ; autorité encore valide ce jour",
                "its own time, embedded revocation data; authority still valid today",
            ),
            "now": tr("maintenant : aucun horodatage", "now: no timestamp"),
        }.get(basis or self.time_basis, basis or self.time_basis)

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
    checked_at: datetime | None = None  # the "now" of this verification
    log: tuple[str, ...] = ()  # pyHanko's warnings, kept out of the terminal (details only)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)
