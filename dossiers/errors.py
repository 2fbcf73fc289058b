"""Domain errors.

Every error the domain raises is a `LiasseError` whose message is one sentence a user can act on;
the CLI prints it on one line and exits non-zero, the portal turns it into a 4xx page. The
subclasses let callers react precisely (a conflict is retried by a human, a validation error is
fixed in the form).
"""

from __future__ import annotations

from dossiers.i18n import current_language


class LiasseError(Exception):
    """Base of every expected, user-facing error.

    Raised with a French text and, preferably, its English twin:
    `ValidationError("SIRET invalide : ...", "Invalid SIRET: ...")`. `str(error)` and `.message`
    give the text in the active language.
    """

    exit_code = 1

    def __init__(self, fr: str, en: str | None = None) -> None:
        super().__init__(fr)
        self.fr = fr
        self.en = en or fr

    @property
    def message(self) -> str:
        return self.en if current_language() == "en" else self.fr

    def __str__(self) -> str:
        return self.message


class ValidationError(LiasseError):
    """Input that does not satisfy a business or format rule; nothing was written."""

    exit_code = 2


class NotFound(LiasseError):
    """A referenced record does not exist."""

    exit_code = 3


class ConflictError(LiasseError):
    """Someone else changed the record first (optimistic locking) or it was already decided."""

    exit_code = 4


class IllegalTransition(LiasseError):
    """A state change the state machine does not allow from the current state."""

    exit_code = 5


class PermissionDenied(LiasseError):
    """The acting user's role may not perform this action."""

    exit_code = 6


class IntegrityFailure(LiasseError):
    """Stored data does not match its recorded fingerprint (audit chain, archive hash)."""

    exit_code = 7
