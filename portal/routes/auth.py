"""Sign-in, sign-out, password change and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.i18n import LANGUAGES, set_language, tr
from dossiers.staff.credentials import (
    authenticate,
    change_password,
    credential_of,
    credential_stamp,
)
from portal.access import Area, Principal, require
from portal.security import safe_next
from portal.web import page, state_of

router = APIRouter(include_in_schema=False)


def _locked_message(until) -> str:  # type: ignore[no-untyped-def]
    when = until.strftime("%H:%M UTC")
    return tr(f"Trop d'essais infructueux : compte verrouillé jusqu'à {when}. Un administrateur "
              "peut le débloquer.",
              f"Too many failed attempts: account locked until {when}. An administrator can "
              "unlock it.")


@router.get("/login")
def login_form(request: Request, next: str | None = None,
               principal: Principal | None = Depends(require(Area.PUBLIC))) -> Response:
    return page(request, "login.html", {"next": safe_next(next), "login": ""},
                title=tr("Connexion", "Sign in"))


@router.post("/login")
def login(request: Request, login: str = Form(""), password: str = Form(""),
          next: str = Form(""),
          principal: Principal | None = Depends(require(Area.PUBLIC))) -> Response:
    state = state_of(request)
    target = safe_next(next)
    with transaction(state.services.factory) as session:
        attempt = authenticate(session, login, password, policy=state.lockout, at=state.now())
        stamp = ""
        if attempt.user is not None:
            credential = credential_of(session, attempt.user)
            assert credential is not None
            stamp = credential_stamp(credential)
            user_id, user_login = attempt.user.id, attempt.user.login
    if attempt.user is None:
        message = (_locked_message(attempt.locked_until) if attempt.locked_until
                   else tr("Identifiant ou mot de passe incorrect.",
                           "Wrong login or password."))
        return page(request, "login.html", {"next": target, "login": login, "error": message},
                    status_code=401, title=tr("Connexion", "Sign in"))
    response = RedirectResponse(target, status_code=303)
    state.cookies.open_session(request, response, user_id, user_login, stamp)
    return response


@router.post("/logout")
def logout(request: Request,
           principal: Principal | None = Depends(require(Area.PUBLIC))) -> Response:
    response = RedirectResponse("/login", status_code=303)
    state_of(request).cookies.close_session(response)
    return response


@router.get("/account/password")
def password_form(request: Request,
                  principal: Principal = Depends(require(Area.STAFF))) -> Response:
    return page(request, "password.html", title=tr("Mot de passe", "Password"))


@router.post("/account/password")
def password_change(request: Request, current: str = Form(""), new: str = Form(""),
                    confirm: str = Form(""),
                    principal: Principal = Depends(require(Area.STAFF))) -> Response:
    state = state_of(request)
    title = tr("Mot de passe", "Password")
    if new != confirm:
        return page(request, "password.html",
                    {"error": tr("Les deux saisies du nouveau mot de passe diffèrent.",
                                 "The two entries of the new password differ."),
                     "field": "confirm"}, status_code=422, title=title)
    try:
        with transaction(state.services.factory) as session:
            attempt = change_password(session, principal.login, current, new,
                                      policy=state.lockout, at=state.now())
            stamp = ""
            if attempt.ok:
                credential = credential_of(session, attempt.user)  # type: ignore[arg-type]
                assert credential is not None
                stamp = credential_stamp(credential)
    except ValidationError as exc:
        return page(request, "password.html", {"error": exc.message, "field": "new"},
                    status_code=422, title=title)
    if not attempt.ok:
        message = (_locked_message(attempt.locked_until) if attempt.locked_until
                   else tr("Mot de passe actuel incorrect.", "Current password is wrong."))
        return page(request, "password.html", {"error": message, "field": "current"},
                    status_code=401 if attempt.locked_until is None else 403, title=title)
    response = page(request, "password.html",
                    {"done": tr("Mot de passe modifié. Vos autres sessions sont fermées.",
                                "Password changed. Your other sessions are closed.")},
                    title=title)
    # The old session's stamp no longer matches: open a new one with the new stamp.
    state.cookies.open_session(request, response, principal.user.id, principal.login, stamp,
                               csrf=principal.csrf)
    return response


@router.get("/language/{code}")
def language(request: Request, code: str, next: str | None = None,
             principal: Principal | None = Depends(require(Area.PUBLIC))) -> Response:
    """Switch the pages' language (a preference cookie), then go back where one was."""
    if code not in LANGUAGES:
        code = "fr"
    set_language(code)
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    state_of(request).cookies.set_language(request, response, code)
    return response
