"""The PISTE OAuth2 token: fetched with client credentials, cached, renewed before expiry.

One token serves every thread of the process; a lock makes sure a burst of parallel deposits
asks for one new token, not thirty-two. The clock is injected so expiry is testable without
waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from connectors.chorus_pro.errors import ChorusAmbiguousFailure, ChorusAuthError
from dossiers.db import utcnow

RENEW_MARGIN = timedelta(seconds=240)  # OCA's margin: a token never expires in flight


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


class TokenProvider:
    def __init__(
        self,
        http: httpx.Client,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._http = http
        self._url = f"{oauth_url}/api/oauth/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._token: Token | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - RENEW_MARGIN:
                token = self._token = self._fetch()
            return token.value

    def invalidate(self, stale: str) -> None:
        """Forget `stale` (refused as expired) unless another thread already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == stale:
                self._token = None

    def _fetch(self) -> Token:
        if not self._client_id or not self._client_secret:
            raise ChorusAuthError(
                "client_credentials",
                "Identifiants PISTE absents : renseigner LIASSE_CHORUS_CLIENT_ID et "
                "LIASSE_CHORUS_CLIENT_SECRET.",
                "PISTE credentials missing: set LIASSE_CHORUS_CLIENT_ID and "
                "LIASSE_CHORUS_CLIENT_SECRET.",
            )
        try:
            response = self._http.post(
                self._url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "scope": "openid",
                },
            )
        except httpx.TransportError as exc:
            raise ChorusAmbiguousFailure(type(exc).__name__, path="oauth/token") from exc
        if response.status_code in (400, 401, 403):
            raise ChorusAuthError(
                "client_credentials",
                "PISTE refuse l'application (client_id/client_secret) : vérifier "
                "LIASSE_CHORUS_CLIENT_ID et LIASSE_CHORUS_CLIENT_SECRET dans PISTE.",
                "PISTE refused the application (client_id/client_secret): check "
                "LIASSE_CHORUS_CLIENT_ID and LIASSE_CHORUS_CLIENT_SECRET in PISTE.",
                status=response.status_code,
            )
        if response.status_code != 200:
            raise ChorusAmbiguousFailure(f"HTTP {response.status_code}", path="oauth/token")
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise ChorusAmbiguousFailure("unreadable token answer", path="oauth/token") from exc
        return Token(value, self._clock() + timedelta(seconds=lifetime))
