"""Typed Chorus Pro failures, each with a French/English sentence saying what to fix.

The split follows what the caller must do next:

- `ChorusAuthError`: a credential or a subscription is wrong; nothing was processed, a human must
  fix the named setting (`credential` says which one).
- `ChorusRejected`: Chorus Pro understood the request and refused it (`codeRetour` ≠ 0, HTTP
  400); nothing was processed; fix the data named in `libelle`.
- `ChorusRateLimited`: too many calls (HTTP 429); nothing was processed; retry after
  `retry_after` seconds.
- `ChorusAmbiguousFailure`: timeout, connection reset, 5xx or an unreadable answer; the request
  *may* have been processed. A deposit in that state must be looked up before being sent again.
"""

from __future__ import annotations

import re
from typing import Literal

from dossiers.errors import LiasseError, PermissionDenied, ValidationError

Credential = Literal["client_credentials", "token", "api_subscription", "technical_account"]


class ChorusProError(LiasseError):
    """Base of every Chorus Pro connector error."""


class ChorusAuthError(ChorusProError, PermissionDenied):
    """PISTE or Chorus Pro refused our identity; `credential` names which part."""

    def __init__(self, credential: Credential, fr: str, en: str, *, status: int = 401) -> None:
        super().__init__(fr, en)
        self.credential: Credential = credential
        self.status = status


class ChorusRejected(ChorusProError, ValidationError):
    """A functional refusal: `codeRetour` ≠ 0 with its `libelle`."""

    def __init__(self, code: int | str, libelle: str, *, path: str) -> None:
        super().__init__(
            f"Chorus Pro a refusé la demande {path} (code {code}) : {libelle}",
            f"Chorus Pro refused the {path} request (code {code}): {libelle}",
        )
        self.code = code
        self.libelle = libelle
        self.path = path


class ChorusRateLimited(ChorusProError):
    """HTTP 429: the PISTE quota is exhausted for now; nothing was processed."""

    def __init__(self, retry_after: float, *, path: str) -> None:
        super().__init__(
            f"Chorus Pro limite le nombre d'appels ({path}) : réessayer dans {retry_after:g} s.",
            f"Chorus Pro is rate limiting calls ({path}): retry in {retry_after:g} s.",
        )
        self.retry_after = retry_after


class ChorusAmbiguousFailure(ChorusProError):
    """The call may or may not have been processed (timeout, reset, 5xx, unreadable answer)."""

    def __init__(self, detail: str, *, path: str) -> None:
        super().__init__(
            f"Réponse de Chorus Pro incertaine ({path}) : {detail}. La demande a peut-être été "
            "traitée : vérifier sur Chorus Pro avant de la renvoyer.",
            f"Uncertain answer from Chorus Pro ({path}): {detail}. The request may have been "
            "processed: check on Chorus Pro before sending it again.",
        )
        self.detail = detail
        self.path = path


_XSD_RULE = re.compile(r"[Ee]lement '([^']+)'[^:]*: (.*)")


def explain_technical_error(code: str, libelle: str, nature: str | None = None) -> tuple[str, str]:
    """Turn one `listeErreurTechnique` entry into a (fr, en) sentence naming the rule to fix.

    `ERR_XSD_*` messages carry the XML-Schema complaint; the element it names is the field of
    the Factur-X XML that must change.

    >>> fr, en = explain_technical_error("ERR_XSD_001", "Element '{urn:x}ID': Not expected.")
    >>> en
    'The Factur-X XML breaks the XML schema (ERR_XSD_001) at element ID: Not expected.'
    """
    if code.startswith("ERR_XSD") or (nature or "").startswith("ERR_XSD"):
        match = _XSD_RULE.search(libelle)
        if match:
            element = match.group(1).rsplit("}", 1)[-1]
            rule = match.group(2).strip()
            return (
                f"Le XML Factur-X ne respecte pas le schéma XML ({code}) à l'élément {element} : "
                f"{rule}",
                f"The Factur-X XML breaks the XML schema ({code}) at element {element}: {rule}",
            )
        return (
            f"Le XML Factur-X ne respecte pas le schéma XML ({code}) : {libelle}",
            f"The Factur-X XML breaks the XML schema ({code}): {libelle}",
        )
    return (f"Erreur Chorus Pro {code} : {libelle}", f"Chorus Pro error {code}: {libelle}")


class ChorusUnavailable(ChorusProError):
    """Chorus Pro could not be reached at all (connection refused, connect timeout): nothing
    was sent, so the call can safely be made again later."""

    def __init__(self, detail: str, *, path: str) -> None:
        super().__init__(
            f"Chorus Pro injoignable ({path}) : {detail}. Rien n'a été envoyé ; "
            "réessayer plus tard.",
            f"Chorus Pro unreachable ({path}): {detail}. Nothing was sent; try again later.",
        )
        self.detail = detail
