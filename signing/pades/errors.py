"""Errors raised while producing PAdES signatures and seals."""

from __future__ import annotations

from signing.errors import SigningError


class PadesError(SigningError):
    """A PDF could not be signed, sealed or timestamped."""

    exit_code = 22


class NotAPdf(PadesError):
    """The bytes given are not a readable PDF."""


class TimestampUnavailable(PadesError):
    """The time-stamping authority could not be reached or refused the request."""
