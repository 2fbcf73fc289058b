"""Errors of signing sessions."""

from __future__ import annotations

from dossiers.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from signing.errors import SigningError


class SessionError(SigningError):
    exit_code = 26


class SessionNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(
            f"Session de signature introuvable : {reference}.",
            f"Signing session not found: {reference}.",
        )


class SessionClosed(IllegalTransition):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"Cette session de signature est close ({status}).",
            f"This signing session is closed ({status}).",
        )


class NotYourTurn(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            "Ce n'est pas encore votre tour : un signataire précédent doit signer.",
            "It is not your turn yet: an earlier signer must sign first.",
        )


class AlreadyDone(IllegalTransition):
    def __init__(self, state: str) -> None:
        super().__init__(f"Vous avez déjà terminé ({state}).", f"You are already done ({state}).")


class InvalidSessionInput(ValidationError):
    """Bad data when opening a session (no signer, bad e-mail or phone, not a PDF)."""


class DocumentNotViewed(IllegalTransition):
    """A code was asked for, or a signature attempted, before the signer opened the document:
    the evidence page says what the signer saw, so they must have seen it."""

    def __init__(self) -> None:
        super().__init__(
            "Ouvrez d'abord le document : le code n'est envoyé, et la signature acceptée, "
            "qu'après sa consultation.",
            "Open the document first: a code is sent, and a signature accepted, only once "
            "you have viewed it.",
        )
