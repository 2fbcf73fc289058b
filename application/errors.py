"""The application layer's one error of its own: an action that cannot be done as asked.

Domain refusals (`dossiers.errors`) keep their own types; `ActionFailed` is for a business
failure of an application action that no retry will fix (an invoice Chorus Pro would bounce, a
file with nothing to issue). In a circuit, the step's `on_failure` target takes over with this
reason; at the command line it is a refusal like any other.
"""

from __future__ import annotations

from dossiers.errors import LiasseError


class ActionFailed(LiasseError):
    """A business failure of an application action (not worth retrying)."""
