"""Errors shared by every part of `signing/`.

Each sub-package (pades, pki, otp, sessions, evidence, validation) derives its own errors from
these, so a caller can catch "anything that went wrong while signing" or react to one precise case.
"""

from __future__ import annotations

from dossiers.errors import LiasseError


class SigningError(LiasseError):
    """Base of every expected failure raised by the signing package."""

    exit_code = 20
