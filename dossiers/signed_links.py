"""Signed, expiring links (alerts to validators, signing invitations, the customer portal).

A link carries a small payload (what it opens, for whom) signed with the instance's secret key
and a purpose-specific salt, so a signing link cannot be replayed as a validator link. Expiry is
checked on use; an expired or altered token raises `InvalidLink` with a message a user can act on.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dossiers.errors import LiasseError


class InvalidLink(LiasseError):
    exit_code = 8


def make_token(secret: bytes, purpose: str, payload: dict[str, Any]) -> str:
    return URLSafeTimedSerializer(secret, salt=f"liasse:{purpose}").dumps(payload)


def read_token(secret: bytes, purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    serializer = URLSafeTimedSerializer(secret, salt=f"liasse:{purpose}")
    try:
        return serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise InvalidLink(
            "Ce lien a expiré ; demandez-en un nouveau.",
            "This link has expired; ask for a new one.",
        ) from exc
    except BadSignature as exc:
        raise InvalidLink(
            "Ce lien n'est pas valide (modifié ou destiné à un autre usage).",
            "This link is not valid (altered or meant for another use).",
        ) from exc
