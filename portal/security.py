"""Session cookies, CSRF tokens and safe redirects: the portal's web security in one module.

- The session is a signed cookie (itsdangerous, salt `liasse:portal-session`), HttpOnly,
  SameSite=Lax, Secure over HTTPS (`PortalSettings.secure_cookies`), valid
  `session_hours`. It carries the user id, the login, the session's CSRF token and a stamp of
  the password it was opened with: a new password ends every older session. Each request
  re-reads the user (active, roles) from the database (`portal.access.current_principal`).
- CSRF: every unsafe request (POST, PUT, PATCH, DELETE) must send the token, as the form field
  `csrf_token` or the `X-CSRF-Token` header. Signed in, the token is the session's; before
  sign-in (the sign-in form) it is a double-submit value whose signed twin lives in its own
  HttpOnly cookie. One app-wide dependency (`csrf_protect`) checks it before any route runs.
- `safe_next` keeps a `next=` redirect target on this site (no open redirect).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from dossiers.errors import LiasseError
from portal.settings import PortalSettings

SESSION_COOKIE = "liasse_session"
CSRF_COOKIE = "liasse_csrf"
LANG_COOKIE = "liasse_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_NEXT = "/inbox"


class CsrfRefused(LiasseError):
    """An unsafe request without its CSRF token (or with another session's)."""

    exit_code = 6


@dataclass(frozen=True)
class SessionData:
    user_id: int
    login: str
    csrf: str
    stamp: str


class Cookies:
    """Signs, reads, sets and clears the portal's cookies."""

    def __init__(self, secret: bytes, settings: PortalSettings) -> None:
        self.settings = settings
        self._session = URLSafeTimedSerializer(secret, salt="liasse:portal-session")
        self._csrf = URLSafeSerializer(secret, salt="liasse:portal-csrf")

    # --- session -----------------------------------------------------------------------------
    def read_session(self, request: Request) -> SessionData | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            raw = self._session.loads(token, max_age=self.settings.session_hours * 3600)
            return SessionData(int(raw["uid"]), str(raw["login"]), str(raw["csrf"]),
                               str(raw["stamp"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def open_session(self, request: Request, response: Response, user_id: int, login: str,
                     stamp: str, *, csrf: str | None = None) -> SessionData:
        """A new session; at sign-in with a new CSRF token (never the pre-sign-in one: no
        fixation), after a password change with the same one (the page's forms keep it)."""
        data = SessionData(user_id, login, csrf or secrets.token_urlsafe(32), stamp)
        token = self._session.dumps({"uid": data.user_id, "login": data.login, "csrf": data.csrf,
                                     "stamp": data.stamp})
        self._set(request, response, SESSION_COOKIE, token,
                  max_age=self.settings.session_hours * 3600)
        response.delete_cookie(CSRF_COOKIE, path="/")
        return data

    def close_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    # --- CSRF --------------------------------------------------------------------------------
    def _anonymous_token(self, request: Request) -> str | None:
        signed = request.cookies.get(CSRF_COOKIE)
        if not signed:
            return None
        try:
            value = self._csrf.loads(signed)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def expected_csrf(self, request: Request) -> str | None:
        session = self.read_session(request)
        return session.csrf if session else self._anonymous_token(request)

    def csrf_for_form(self, request: Request, response: Response | None = None) -> str:
        """The token to put in a form; before sign-in, creates one (cookie on `response`)."""
        token = self.expected_csrf(request)
        if token is not None:
            return token
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = self._csrf.dumps(token)
        if response is not None:
            self.attach_new_csrf(request, response)
        return token

    def attach_new_csrf(self, request: Request, response: Response) -> None:
        signed = getattr(request.state, "new_csrf_cookie", None)
        if signed:
            self._set(request, response, CSRF_COOKIE, signed, max_age=None)

    def check_csrf(self, request: Request, sent: str | None) -> None:
        expected = self.expected_csrf(request)
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise CsrfRefused(
                "Formulaire expiré ou incomplet (jeton de sécurité absent ou invalide) : "
                "rechargez la page et recommencez.",
                "Form expired or incomplete (security token missing or invalid): reload the "
                "page and try again.",
            )

    # --- language ----------------------------------------------------------------------------
    def set_language(self, request: Request, response: Response, language: str) -> None:
        self._set(request, response, LANG_COOKIE, language, max_age=365 * 24 * 3600)

    # --- plumbing ----------------------------------------------------------------------------
    def secure(self, request: Request) -> bool:
        mode = self.settings.secure_cookies
        if mode != "auto":
            return mode == "always"
        return request.url.scheme == "https"

    def _set(self, request: Request, response: Response, name: str, value: str,
             max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite="lax", secure=self.secure(request))


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse an unsafe request without the right CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(("application/x-www-form-urlencoded",
                                                 "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    request.app.state.portal.cookies.check_csrf(request, sent)


def safe_next(target: str | None, default: str = DEFAULT_NEXT) -> str:
    """`target` if it is a path on this site, else `default`: never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
