"""Why a one-time code was refused; each error tells the signer what to do next."""

from __future__ import annotations

from signing.errors import SigningError


class OtpError(SigningError):
    exit_code = 25


class NoCodeSent(OtpError):
    def __init__(self) -> None:
        super().__init__(
            "Aucun code n'a été envoyé ; demandez un code.", "No code was sent; ask for a code."
        )


class WrongCode(OtpError):
    def __init__(self, remaining: int) -> None:
        super().__init__(
            f"Code incorrect ; il reste {remaining} essai(s).",
            f"Wrong code; {remaining} attempt(s) left.",
        )
        self.remaining = remaining


class ChallengeLocked(OtpError):
    def __init__(self) -> None:
        super().__init__(
            "Trop de codes incorrects : la signature est bloquée ; contactez votre interlocuteur.",
            "Too many wrong codes: signing is locked; contact your account manager.",
        )


class CodeExpired(OtpError):
    def __init__(self) -> None:
        super().__init__(
            "Ce code a expiré ; demandez-en un nouveau.",
            "This code has expired; ask for a new one.",
        )


class CodeAlreadyUsed(OtpError):
    def __init__(self) -> None:
        super().__init__("Ce code a déjà été utilisé.", "This code has already been used.")


class DocumentChanged(OtpError):
    def __init__(self) -> None:
        super().__init__(
            "Le document a changé depuis l'envoi du code ; relisez-le et demandez un nouveau code.",
            "The document changed since the code was sent; read it again and ask for a new code.",
        )


class TooManySends(OtpError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"Trop de codes envoyés ; réessayez dans {minutes} minute(s).",
            f"Too many codes sent; try again in {minutes} minute(s).",
        )
