"""Errors of signature verification."""

from __future__ import annotations

from dossiers.errors import IntegrityFailure
from signing.errors import SigningError


class VerificationError(SigningError):
    """The file could not be verified at all (unreadable, not a PDF)."""

    exit_code = 23


class SignaturesInvalid(IntegrityFailure):
    """At least one signature in the file is broken, untrusted or the file has none."""
