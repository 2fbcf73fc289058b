"""Errors of the evidence page."""

from __future__ import annotations

from signing.errors import SigningError


class EvidenceError(SigningError):
    """The evidence page could not be rendered or appended."""

    exit_code = 24
