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


class HeldByDispute(IllegalTransition):
    """A manual release of a hold that an open dispute placed: only its closing lifts it."""

    def __init__(self, record_id: int, key: str, file_ids: list[int]) -> None:
        files = ", ".join(str(f) for f in file_ids)
        super().__init__(
            f"Refusé : le document archivé n° {record_id} ({key}) est gelé par le litige du "
            f"dossier {files}, toujours en cours ; seule la clôture de ce litige lèvera ce gel.",
            f"Refused: archived document #{record_id} ({key}) is held by the dispute of file "
            f"{files}, still open; only closing that dispute will lift this hold.",
        )
        self.file_ids = file_ids


class RecordsDisagree(IllegalTransition):
    """The sweep's refusal: the archive's own records do not all allow the deletion."""

    def __init__(self, key: str, latest: str, detail: str) -> None:
        super().__init__(
            f"Suppression refusée pour {key} : conservé jusqu'au {latest} au moins selon le plus "
            f"tardif des enregistrements ({detail}) ; rien n'est supprimé tant qu'ils divergent.",
            f"Deletion refused for {key}: retained until {latest} at least by the latest of its "
            f"records ({detail}); nothing is deleted while they disagree.",
        )
