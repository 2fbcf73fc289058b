"""Sign-in security: brute force locks the account, CSRF on every unsafe request, cookie flags,
no open redirect, the alert link after sign-in, sign-out, password change, errors as 4xx."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select

from connectors.mail.alerts import StepAlert, step_token
from dossiers.audit.models import AuditEvent
from dossiers.files.service import get_step
from tests.portal.world import PASSWORD, PortalWorld, api_csrf, csrf_in, sign_in


def _step_state(world: PortalWorld, step_id: int) -> str:
    with world.db() as s:
        return get_step(s, step_id).state.value


def test_brute_forcing_a_password_locks_the_account(world: PortalWorld,
                                                    client: TestClient) -> None:
    tries = world.app.state.portal.lockout.max_attempts
    assert tries == 5
    for _ in range(tries - 1):
        response = sign_in(client, "olga", "not the password")
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.text
    locked = sign_in(client, "olga", "still not it")
    assert locked.status_code == 401 and "compte verrouillé" in locked.text
    # The right password is refused while the lock holds, and no session is opened.
    refused = sign_in(client, "olga", PASSWORD)
    assert refused.status_code == 401 and "compte verrouillé" in refused.text
    assert "liasse_session" not in client.cookies
    with world.db() as s:
        assert s.scalars(select(AuditEvent.action)
                         .where(AuditEvent.action == "staff.locked_out")).all() == [
                             "staff.locked_out"]
    # Another account is not affected; the lock lifts after its period.
    assert sign_in(TestClient(world.app), "admin").status_code == 303
    world.clock.advance(minutes=16)
    assert sign_in(client, "olga", PASSWORD).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(world: PortalWorld,
                                                  client: TestClient) -> None:
    form = client.get("/login")
    without = client.post("/login", data={"login": "olga", "password": PASSWORD},
                          follow_redirects=False)
    assert without.status_code == 403 and "jeton de sécurité" in without.text
    forged = client.post("/login", data={"login": "olga", "password": PASSWORD,
                                         "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert "liasse_session" not in client.cookies
    assert csrf_in(form.text)
    assert sign_in(client, "olga").status_code == 303
    url = f"/steps/{world.sam_step}/decision"
    assert client.post(url, data={"decision": "approve"}).status_code == 403
    assert client.post(f"/api/steps/{world.sam_step}/decision",
                       json={"decision": "approve"}).status_code == 403
    # Another user's token does not pass either.
    other = TestClient(world.app)
    sign_in(other, "admin")
    stolen = api_csrf(other)
    assert client.post(url, data={"decision": "approve", "csrf_token": stolen}).status_code == 403
    assert client.post(f"/api/steps/{world.sam_step}/decision", json={"decision": "approve"},
                       headers={"X-CSRF-Token": stolen}).status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert _step_state(world, world.sam_step) == "waiting"
    assert world.resumed == []


def test_session_cookie_flags(world: PortalWorld) -> None:
    plain = TestClient(world.app)
    cookie = sign_in(plain, "olga").headers["set-cookie"]
    assert "liasse_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    https = TestClient(world.app, base_url="https://testserver")
    cookie = sign_in(https, "olga").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


def test_next_never_leaves_the_site(world: PortalWorld) -> None:
    for target, lands in (("//evil.example/x", "/inbox"), ("https://evil.example/", "/inbox"),
                          ("/\\evil.example", "/inbox"), ("javascript:alert(1)", "/inbox"),
                          (f"/steps/{world.sam_step}", f"/steps/{world.sam_step}")):
        response = sign_in(TestClient(world.app), "olga", next=target)
        assert response.status_code == 303
        assert response.headers["location"] == lands, target
    switch = TestClient(world.app).get("/language/en?next=//evil.example",
                                       follow_redirects=False)
    assert switch.headers["location"] == "/"


def test_the_alert_link_opens_the_step_after_sign_in(world: PortalWorld,
                                                     client: TestClient) -> None:
    token = step_token(world.services.settings.resolved_secret_key(),
                       StepAlert(file_id=str(world.sam_file), file_label="f",
                                 step_id=str(world.sam_step), step_label="s", role="order_desk"))
    link = f"/steps/open?token={quote(token)}"
    first = client.get(link, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/login?next={quote(link, safe='')}"
    signed = sign_in(client, "olga", next=link)
    assert signed.headers["location"] == link
    opened = client.get(link, follow_redirects=False)
    assert opened.headers["location"] == f"/steps/{world.sam_step}"
    assert "Bon de commande" in client.get(opened.headers["location"]).text
    # An altered link, or a link for another purpose, is a clear 400, not a step.
    altered = client.get(f"/steps/open?token={token[:-2]}xx", follow_redirects=False)
    assert altered.status_code == 400 and "lien n'est pas valide" in altered.text.replace(
        "&#39;", "'")


def test_sign_out_ends_the_session(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")
    page = client.get("/inbox")
    response = client.post("/logout", data={"csrf_token": csrf_in(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    assert client.get("/api/inbox").status_code == 401


def test_password_change(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")
    elsewhere = TestClient(world.app)
    sign_in(elsewhere, "olga")
    token = csrf_in(client.get("/account/password").text)
    new = "une nouvelle phrase secrète"
    wrong = client.post("/account/password", data={"csrf_token": token, "current": "nope",
                                                    "new": new, "confirm": new})
    assert wrong.status_code == 401 and "Mot de passe actuel incorrect." in wrong.text
    short = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                    "new": "court", "confirm": "court"})
    assert short.status_code == 422 and "trop court" in short.text
    done = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                   "new": new, "confirm": new})
    assert done.status_code == 200 and "Mot de passe modifié" in done.text
    assert client.get("/inbox").status_code == 200  # this session goes on
    assert elsewhere.get("/api/inbox").status_code == 401  # the other one is closed
    assert sign_in(TestClient(world.app), "olga").status_code == 401
    assert sign_in(TestClient(world.app), "olga", new).status_code == 303


def test_english_by_a_switch(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")
    assert '<html lang="fr">' in client.get("/inbox").text
    client.get("/language/en?next=/inbox")
    page = client.get("/inbox").text
    assert '<html lang="en">' in page and "Steps waiting for me" in page
    missing = client.get("/steps/999999")
    assert missing.status_code == 404 and "Step 999999 not found." in missing.text


def test_errors_are_pages_never_500(world: PortalWorld, client: TestClient) -> None:
    sign_in(client, "olga")
    assert client.get("/steps/abc").status_code == 422
    assert client.get("/steps/99999999999").status_code == 422
    nowhere = client.get("/nowhere")
    assert nowhere.status_code == 404 and "Page introuvable." in nowhere.text
    assert "Se déconnecter" in nowhere.text  # the error page still knows who is signed in
    api = client.get("/api/steps/999999")
    assert api.status_code == 404 and api.json()["error"]["type"] == "NotFound"
    headers = client.get("/inbox").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_lockout_number_follows_the_sms_setting(world: PortalWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    monkeypatch.setenv("LIASSE_OTP_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("LIASSE_PORTAL_LOCKOUT_MINUTES", "7")
    app = create_app(world.services)
    assert app.state.portal.lockout.max_attempts == 3
    assert app.state.portal.lockout.lock_for == timedelta(minutes=7)
