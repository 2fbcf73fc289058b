"""The level of a signature, honestly stated, and the seam for an identity check.

An SMS one-time code proves control of a phone number, not who holds it: under eIDAS that is a
*simple* electronic signature, backed by strong evidence (document hash, one-time certificate,
timestamps, events with IP and user agent, hash-chained audit trail). An *advanced* signature
needs the signer to be uniquely identified, typically by an identity-document check; a provider
implementing `IdentityCheck` can be plugged in, and the evidence page then says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class IdentityEvidence:
    """The outcome of an identity check, as printed on the evidence page."""

    method: str  # e.g. "identity document checked by <provider>"
    reference: str  # provider's reference of the check
    verified: bool


class IdentityCheck(Protocol):
    """An extra step before signing that identifies the signer (ID document, eID...)."""

    def verify(self, *, signer_email: str, signer_name: str) -> IdentityEvidence: ...


SIMPLE_LEVEL_FR = (
    "Niveau : signature électronique simple (eIDAS, art. 25), authentifiée par un code à usage "
    "unique envoyé par SMS, avec un dossier de preuve renforcé. Ce n'est pas une signature "
    "avancée : l'identité des signataires n'a pas été vérifiée sur pièce d'identité."
)
SIMPLE_LEVEL_EN = (
    "Level: simple electronic signature (eIDAS art. 25), authenticated by a one-time code sent "
    "by SMS, with strong evidence. It is not an advanced signature: the signers' identity was "
    "not checked against an identity document."
)
AUTH_METHOD_SMS = "Code à usage unique par SMS / SMS one-time code"


def level_statement(identity_checked: bool) -> tuple[str, str]:
    if not identity_checked:
        return SIMPLE_LEVEL_FR, SIMPLE_LEVEL_EN
    return (
        "Niveau : identité des signataires vérifiée en plus du code SMS (voir méthode ci-dessus).",
        "Level: the signers' identity was checked in addition to the SMS code (see method above).",
    )
