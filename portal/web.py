"""The portal's plumbing: its per-app state, page rendering, language, headers, error pages.

- `PortalState` (on `app.state.portal`) holds what `create_app` was given: the `Services`, the
  settings, the cookie signer, the lock-out rule, the resume hook. No module-level state.
- `page()` renders a Jinja2 template with what every page needs (user, CSRF token, language).
- `LanguageMiddleware` (plain ASGI, so the context variable reaches the routes' worker
  threads) sets `dossiers.i18n`'s language from the `liasse_lang` cookie, French by default.
- `SecurityHeaders`: a strict Content-Security-Policy (nothing from another origin), no
  sniffing, same-origin framing (the step page frames its PDF), no caching of pages.
- `install_error_handlers`: a `LiasseError` becomes a 4xx page, or JSON under `/api/`, in the
  active language; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.services import Services
from dossiers.errors import (
    ConflictError,
    IllegalTransition,
    LiasseError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from dossiers.i18n import LANGUAGES, current_language, set_language, tr
from dossiers.signed_links import InvalidLink
from dossiers.staff.credentials import LockoutPolicy
from portal.access import NotSignedIn, current_principal
from portal.security import LANG_COOKIE, Cookies, CsrfRefused
from portal.settings import PortalSettings

HERE = Path(__file__).resolve().parent
Resumer = Callable[[int, Any], str]


@dataclass
class PortalState:
    services: Services
    settings: PortalSettings
    cookies: Cookies
    lockout: LockoutPolicy
    templates: Jinja2Templates
    resume: Resumer
    link_max_age_seconds: int

    def now(self) -> datetime:
        return self.services.clock()


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["tr"] = tr
    templates.env.filters["when"] = _when
    templates.env.filters["state"] = state_label
    return templates


STATE_LABELS = {
    "pending": ("à lancer", "pending"), "waiting": ("en attente de décision", "waiting"),
    "running": ("en cours", "running"), "approved": ("approuvée", "approved"),
    "rejected": ("rejetée", "rejected"), "skipped": ("sautée", "skipped"),
    "failed": ("en échec", "failed"), "revoked": ("approbation révoquée", "revoked"),
    "in_progress": ("en cours", "in progress"),
    "waiting_customer": ("en attente du client", "waiting for the customer"),
    "closed_approved": ("clos, accepté", "closed, approved"),
    "closed_rejected": ("clos, refusé", "closed, rejected"), "cancelled": ("annulé", "cancelled"),
}


def state_label(value: object) -> str:
    """A step or file state in words of the active language."""
    raw = str(getattr(value, "value", value))
    fr, en = STATE_LABELS.get(raw, (raw, raw))
    return tr(fr, en)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def state_of(request: Request) -> PortalState:
    return request.app.state.portal


def page(request: Request, template: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200, title: str = "") -> Response:
    state = state_of(request)
    principal = getattr(request.state, "principal", None)
    values = {
        "request": request,
        "principal": principal,
        "csrf_token": state.cookies.csrf_for_form(request),
        "lang": current_language(),
        "title": title,
        "here": _here(request),
        **(context or {}),
    }
    response = state.templates.TemplateResponse(request, template, values,
                                                status_code=status_code)
    state.cookies.attach_new_csrf(request, response)
    return response


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


# --- language --------------------------------------------------------------------------------
class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_language(_cookie_language(scope))
        await self.app(scope, receive, send)


def _cookie_language(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, raw = part.strip().partition("=")
                if key == LANG_COOKIE and raw in LANGUAGES:
                    return raw
    return "fr"


# --- headers ---------------------------------------------------------------------------------
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
       "form-action 'self'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"x-frame-options", b"SAMEORIGIN"),
                         (b"referrer-policy", b"same-origin"),
                         (b"content-security-policy", CSP.encode())]
                if not is_static:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- errors ----------------------------------------------------------------------------------
def status_of(error: LiasseError) -> int:
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied | CsrfRefused):
        return 403
    if isinstance(error, ConflictError | IllegalTransition):
        return 409
    if isinstance(error, ValidationError):
        return 422
    if isinstance(error, InvalidLink):
        return 400
    return 400


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


async def _with_principal(request: Request) -> None:
    """An error page raised before the route's access check still shows who is signed in."""
    if not hasattr(request.state, "principal"):
        request.state.principal = await run_in_threadpool(current_principal, request)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LiasseError)
    async def liasse_error(request: Request, exc: LiasseError) -> Response:
        status = status_of(exc)
        if is_api(request):
            return error_json(status, type(exc).__name__, exc.message)
        if isinstance(exc, NotSignedIn):
            target = quote(_here(request), safe="")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        await _with_principal(request)
        return page(request, "error.html", {"message": exc.message, "status": status},
                    status_code=status, title=tr("Erreur", "Error"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request):
            return error_json(exc.status_code, "HTTPError", str(exc.detail))
        message = (tr("Page introuvable.", "Page not found.") if exc.status_code == 404
                   else str(exc.detail))
        await _with_principal(request)
        return page(request, "error.html", {"message": message, "status": exc.status_code},
                    status_code=exc.status_code, title=tr("Erreur", "Error"))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return JSONResponse({"error": {"type": "RequestValidationError",
                                           "message": tr("Requête invalide.", "Invalid request."),
                                           "detail": _plain(exc.errors())}}, status_code=422)
        await _with_principal(request)
        return page(request, "error.html",
                    {"message": tr("Requête invalide : vérifiez les champs du formulaire.",
                                   "Invalid request: check the form's fields."),
                     "status": 422}, status_code=422, title=tr("Erreur", "Error"))


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in errors]
