"""Errors of the signing PKI (CA, seal certificate, trust roots)."""

from __future__ import annotations

from signing.errors import SigningError


class PkiError(SigningError):
    """A certificate or key could not be loaded, issued or trusted."""

    exit_code = 21


class SealCredentialsError(PkiError):
    """The company seal certificate or its key is missing, unreadable or mismatched."""
