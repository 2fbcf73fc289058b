"""The staff portal: `create_app(services)` builds the FastAPI application.

One `Services` (the composition root, `application.services`) is passed in and kept on
`app.state.portal` with the portal's own parts; nothing lives in module globals, so a test
builds as many apps as it likes on its own databases. Pages are server-rendered (Jinja2) and
work without JavaScript; the JSON API lives under `/api/` with its OpenAPI document at
`/api/openapi.json` (no interactive docs: they would load their assets from a CDN).

Entry points: `liasse portal [--port N]` (`liasse/cli/portal.py`) and `liasse serve`, which runs
`uvicorn portal.app:app`: the module attribute `app` is built on access from the `LIASSE_*`
environment (PEP 562 `__getattr__`), never at import.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from application.services import Services, build_services
from dossiers.staff.credentials import LockoutPolicy
from flows.settings import FlowSettings
from portal.decisions import prefect_resumer
from portal.routes import api, auth, pages
from portal.security import Cookies, csrf_protect
from portal.settings import PortalSettings
from portal.web import (
    HERE,
    LanguageMiddleware,
    PortalState,
    Resumer,
    SecurityHeaders,
    install_error_handlers,
    make_templates,
)
from signing.settings import SigningSettings


def create_app(services: Services, *, settings: PortalSettings | None = None,
               resume: Resumer | None = None,
               lockout: LockoutPolicy | None = None) -> FastAPI:
    """The portal over `services`. `resume(file_id, decision)` wakes a file's flow run after
    a decision (default: through Prefect's API, best effort); `lockout` defaults to the SMS
    codes' number of tries (`LIASSE_OTP_MAX_ATTEMPTS`) and `LIASSE_PORTAL_LOCKOUT_MINUTES`."""
    settings = settings or PortalSettings()
    if lockout is None:
        lockout = LockoutPolicy(max_attempts=SigningSettings().otp_max_attempts,
                                lock_for=timedelta(minutes=settings.lockout_minutes))
    app = FastAPI(
        title="Liasse — portail",
        summary="Validator inbox, steps and decisions over Liasse's services.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(csrf_protect)],
    )
    app.state.portal = PortalState(
        services=services,
        settings=settings,
        cookies=Cookies(services.settings.resolved_secret_key(), settings),
        lockout=lockout,
        templates=make_templates(),
        resume=resume or prefect_resumer(services),
        link_max_age_seconds=FlowSettings().alert_link_hours * 3600,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LanguageMiddleware)
    return app


def app_from_environment() -> FastAPI:
    """The portal on the `LIASSE_*` settings (what `uvicorn portal.app:app` serves)."""
    return create_app(build_services(actor="portal"))


def __getattr__(name: str) -> Any:
    if name == "app":
        return app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
