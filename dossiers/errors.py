"""Domain errors.

Every error the domain raises is a `LiasseError` whose message is one sentence a user can act on;
the CLI prints it on one line and exits non-zero, the portal turns it into a 4xx page. The
subclasses let callers react precisely (a conflict is retried by a human, a validation error is
fixed in the form).

`ExitCode` is the command line's exit-code contract for scripts, in one place: each base class
below carries its code, `liasse/cli/exit_codes.py` classifies everything else (usage errors,
outages, classes of other packages) onto the same table, and README.md ("Exit codes") and
`liasse --help` print it.
"""

from __future__ import annotations

import enum

from dossiers.i18n import current_language


class ExitCode(enum.IntEnum):
    """What `liasse` exits with. A script may rely on these numbers; never reuse one."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    ILLEGAL_TRANSITION = 5
    PERMISSION_DENIED = 6
    INTEGRITY = 7
    INVALID_LINK = 8
    NOT_MIGRATED = 9
    REFUSED = 10
    SIGNING = 20
    SEAL_OR_PKI = 21
    PADES = 22
    UNVERIFIABLE = 23
    EVIDENCE = 24
    SMS_CODE = 25
    SIGNING_SESSION = 26
    INTERNAL = 70
    OUTAGE = 75
    CONFIG = 78
    INTERRUPTED = 130


#: The meaning of each exit code, (French, English): README.md and `liasse --help` print this.
EXIT_CODE_MEANINGS: dict[ExitCode, tuple[str, str]] = {
    ExitCode.OK: ("succès", "success"),
    ExitCode.FAILURE: ("échec sans classe plus précise", "failure without a more precise class"),
    ExitCode.USAGE: (
        "erreur d'utilisation : commande ou option inconnue, argument manquant ou mal formé",
        "usage error: unknown command or option, missing or malformed argument",
    ),
    ExitCode.NOT_FOUND: ("introuvable (client, dossier, facture…)",
                         "not found (customer, file, invoice…)"),
    ExitCode.CONFLICT: ("conflit : déjà décidé, modifié entre-temps, doublon",
                        "conflict: already decided, changed meanwhile, duplicate"),
    ExitCode.ILLEGAL_TRANSITION: ("changement d'état interdit depuis l'état actuel",
                                  "state change not allowed from the current state"),
    ExitCode.PERMISSION_DENIED: ("rôle insuffisant ou identifiants refusés",
                                 "role not allowed or credentials refused"),
    ExitCode.INTEGRITY: (
        "intégrité en défaut : signature invalide, empreinte d'archive fausse, chaîne d'audit "
        "rompue",
        "integrity failure: signature invalid, archive hash mismatch, audit chain broken",
    ),
    ExitCode.INVALID_LINK: ("lien signé invalide ou expiré", "signed link invalid or expired"),
    ExitCode.NOT_MIGRATED: ("base non initialisée : `liasse db upgrade`",
                            "database not initialised: `liasse db upgrade`"),
    ExitCode.REFUSED: (
        "refus métier : une règle métier ou de format n'est pas respectée (rien n'est écrit) ; "
        "aussi `facturx check` sur un fichier refusé",
        "business refusal: a business or format rule is not met (nothing written); also "
        "`facturx check` on a rejected file",
    ),
    ExitCode.SIGNING: ("échec de signature", "signing failure"),
    ExitCode.SEAL_OR_PKI: ("certificat de cachet ou PKI inutilisable",
                           "seal certificate or PKI unusable"),
    ExitCode.PADES: ("PDF impossible à signer ou cacheter", "PDF could not be signed or sealed"),
    ExitCode.UNVERIFIABLE: ("fichier impossible à vérifier (illisible, pas un PDF)",
                            "file could not be verified (unreadable, not a PDF)"),
    ExitCode.EVIDENCE: ("page de preuve impossible à produire",
                        "evidence page could not be produced"),
    ExitCode.SMS_CODE: ("code SMS refusé (faux, expiré, bloqué)",
                        "SMS code refused (wrong, expired, locked)"),
    ExitCode.SIGNING_SESSION: ("session de signature en échec", "signing session failure"),
    ExitCode.INTERNAL: (
        "erreur interne (un bogue) : détails dans <LIASSE_HOME>/logs/, ou LIASSE_DEBUG=1",
        "internal error (a bug): details in <LIASSE_HOME>/logs/, or LIASSE_DEBUG=1",
    ),
    ExitCode.OUTAGE: (
        "service injoignable, réessayer plus tard : base de données, S3, SMTP, Chorus Pro, "
        "VIES, SMS, horodatage",
        "service unreachable, retry later: database, S3, SMTP, Chorus Pro, VIES, SMS, "
        "timestamping",
    ),
    ExitCode.CONFIG: ("configuration invalide (variable LIASSE_*)",
                      "invalid configuration (a LIASSE_* variable)"),
    ExitCode.INTERRUPTED: ("interrompu (Ctrl-C)", "interrupted (Ctrl-C)"),
}


class LiasseError(Exception):
    """Base of every expected, user-facing error.

    Raised with a French text and, preferably, its English twin:
    `ValidationError("SIRET invalide : ...", "Invalid SIRET: ...")`. `str(error)` and `.message`
    give the text in the active language.
    """

    exit_code: int = ExitCode.FAILURE

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

    exit_code = ExitCode.REFUSED


class NotFound(LiasseError):
    """A referenced record does not exist."""

    exit_code = ExitCode.NOT_FOUND


class ConflictError(LiasseError):
    """Someone else changed the record first (optimistic locking) or it was already decided."""

    exit_code = ExitCode.CONFLICT


class IllegalTransition(LiasseError):
    """A state change the state machine does not allow from the current state."""

    exit_code = ExitCode.ILLEGAL_TRANSITION


class PermissionDenied(LiasseError):
    """The acting user's role may not perform this action."""

    exit_code = ExitCode.PERMISSION_DENIED


class IntegrityFailure(LiasseError):
    """Stored data does not match its recorded fingerprint (audit chain, archive hash)."""

    exit_code = ExitCode.INTEGRITY


class ConfigurationError(LiasseError):
    """A setting (a `LIASSE_*` variable) has a value the program cannot work with."""

    exit_code = ExitCode.CONFIG


class ServiceUnavailable(LiasseError):
    """A service the command needs (database, S3, SMTP, Chorus Pro, VIES...) could not be
    reached; nothing was done, the same command can be run again later."""

    exit_code = ExitCode.OUTAGE
