"""Errors raised by the archive domain, each with one actionable sentence in French and English."""

from __future__ import annotations

from datetime import date, datetime

from dossiers.errors import ConflictError, IllegalTransition, IntegrityFailure, ValidationError


class UnknownDocumentType(ValidationError):
    def __init__(self, document_type: str, known: list[str]) -> None:
        names = ", ".join(sorted(known))
        super().__init__(
            f"Type de document inconnu pour l'archivage : « {document_type} » (connus : {names}).",
            f"Unknown document type for archiving: '{document_type}' (known: {names}).",
        )


class RetentionInPast(ValidationError):
    def __init__(self, retain_until: datetime | date) -> None:
        super().__init__(
            f"La date de fin de conservation {retain_until.isoformat()} est déjà passée.",
            f"The retain-until date {retain_until.isoformat()} is already in the past.",
        )


class RetentionShortening(IllegalTransition):
    """Liasse's own guard: a retention is only ever lengthened."""

    def __init__(self, key: str, current: datetime | None, requested: datetime) -> None:
        now = current.isoformat() if current else "?"
        super().__init__(
            f"Refusé : la conservation de {key} court jusqu'au {now} ; "
            f"elle ne peut pas être raccourcie au {requested.isoformat()}.",
            f"Refused: {key} is retained until {now}; "
            f"it cannot be shortened to {requested.isoformat()}.",
        )


class PrematureDeletion(IllegalTransition):
    """Liasse's own guard: no destructive call before expiry or while on legal hold."""

    def __init__(self, key: str, why_fr: str, why_en: str) -> None:
        super().__init__(
            f"Suppression refusée pour {key} : {why_fr}.",
            f"Deletion refused for {key}: {why_en}.",
        )


class ArchiveConflict(ConflictError):
    """Same key or same document already archived with different content."""


class DocumentIntegrityFailure(IntegrityFailure):
    def __init__(self, key: str, expected: str, actual: str) -> None:
        super().__init__(
            f"Intégrité compromise pour {key} : SHA-256 attendu {expected}, obtenu {actual}.",
            f"Integrity failure for {key}: expected SHA-256 {expected}, got {actual}.",
        )
