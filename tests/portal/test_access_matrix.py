"""The authorisation matrix, generated from the app's route table: every route x every role and
anonymous gets the answer the access rules specify (issue 15, "Access levels").

`MATRIX` is the specification, written here independently of `portal.access`: one row per
route (method, path template) with one or more concrete requests, and for each the status every
kind of user must get. The test walks `app.routes`, so a new route without a row fails, a row
for a route that no longer exists fails, and a route that does not declare its area with
`portal.access.require` fails.

Statuses: `LOGIN` = not signed in (a page redirects to `/login?next=...`, the API answers 401);
403 = the role may not use the page; 404 = the record is out of the user's scope (another rep's
customer, a step another role decides), exactly as if it did not exist. Every unsafe request
carries a valid CSRF token, so what refuses it is the access policy, not the CSRF check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from connectors.mail.alerts import StepAlert, step_token
from tests.portal.world import PASSWORD, ROLES, PortalWorld, csrf_in, sign_in

LOGIN = "login"
ANON = "anonymous"
ACTORS = (ANON, *ROLES)


def expect(default: int | str, **by_actor: int | str) -> dict[str, int | str]:
    """Every actor gets `default` unless named; anonymous gets LOGIN unless named."""
    table: dict[str, int | str] = {actor: default for actor in ROLES}
    table[ANON] = LOGIN
    for actor, status in by_actor.items():
        table[actor] = status
    return table


def only(allowed: int, *actors: str, refused: int = 404) -> dict[str, int | str]:
    """`actors` get `allowed`, every other signed-in user `refused`, anonymous LOGIN."""
    return expect(refused, **dict.fromkeys(actors, allowed))


@dataclass(frozen=True)
class Case:
    path: Callable[[PortalWorld], str]
    expected: dict[str, int | str]
    form: Callable[[str], dict[str, str]] | None = None
    json: dict[str, Any] | None = None
    last: int = 0  # sign-in and sign-out change the client's session: run them at the end


def sam_step(w: PortalWorld) -> str:
    return f"/steps/{w.sam_step}"


def step_link(w: PortalWorld) -> str:
    alert = StepAlert(file_id=str(w.sam_file), file_label="x", step_id=str(w.sam_step),
                      step_label="x", role="order_desk")
    token = step_token(w.services.settings.resolved_secret_key(), alert)
    return f"/steps/open?token={token}"


REJECT_WITHOUT_REASON = {"decision": "reject", "reason": ""}
SAM_FILE_READERS = ("admin", "cora", "sam", "lea", "olga")  # customer scope, or the step's role

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/login"): [Case(lambda w: "/login", expect(200, anonymous=200))],
    ("POST", "/login"): [Case(lambda w: "/login", expect(303, anonymous=303), last=1,
                              form=lambda actor: {"login": "olga" if actor == ANON else actor,
                                                  "password": PASSWORD, "next": "/inbox"})],
    ("POST", "/logout"): [Case(lambda w: "/logout", expect(303, anonymous=303), last=2,
                               form=lambda actor: {})],
    ("GET", "/language/{code}"): [Case(lambda w: "/language/fr?next=/inbox",
                                       expect(303, anonymous=303))],
    ("GET", "/account/password"): [Case(lambda w: "/account/password", expect(200))],
    ("POST", "/account/password"): [Case(
        lambda w: "/account/password", expect(422),
        form=lambda actor: {"current": PASSWORD, "new": "a" * 12, "confirm": "b" * 12})],
    ("GET", "/"): [Case(lambda w: "/", expect(303))],
    ("GET", "/inbox"): [Case(lambda w: "/inbox", expect(200))],
    ("GET", "/steps/open"): [Case(step_link, only(303, "admin", "olga"))],
    ("GET", "/steps/{step_id}"): [
        Case(sam_step, only(200, "admin", "olga")),
        Case(lambda w: "/steps/999999", only(200, refused=404)),
    ],
    ("POST", "/steps/{step_id}/decision"): [
        Case(lambda w: f"/steps/{w.sam_step}/decision", only(422, "admin", "olga"),
             form=lambda actor: dict(REJECT_WITHOUT_REASON)),
    ],
    ("POST", "/steps/{step_id}/delegate"): [
        Case(lambda w: f"/steps/{w.sam_step}/delegate", only(422, "admin", "olga"),
             form=lambda actor: {"to": ""}),
    ],
    ("POST", "/steps/{step_id}/request-document"): [
        Case(lambda w: f"/steps/{w.sam_step}/request-document", only(422, "admin", "olga"),
             form=lambda actor: {"document": "", "due": ""}),
    ],
    ("GET", "/steps/{step_id}/done"): [
        Case(lambda w: f"/steps/{w.sam_step}/done", only(200, "admin", "olga")),
    ],
    ("GET", "/files/{file_id}/documents/{document_id}"): [
        Case(lambda w: f"/files/{w.sam_file}/documents/{w.document_id}",
             only(200, *SAM_FILE_READERS)),
        # the right document id under another file: never served
        Case(lambda w: f"/files/{w.rita_file}/documents/{w.document_id}", only(200, refused=404)),
    ],
    ("GET", "/files/{file_id}/documents/{document_id}/pages/{page}"): [
        Case(lambda w: f"/files/{w.sam_file}/documents/{w.document_id}/pages/1",
             only(200, *SAM_FILE_READERS)),
        Case(lambda w: f"/files/{w.rita_file}/documents/{w.document_id}/pages/1",
             only(200, refused=404)),
    ],
    ("GET", "/customers/{number}"): [
        Case(lambda w: f"/customers/{w.sam_customer}", only(200, "admin", "cora", "sam", "lea")),
        Case(lambda w: f"/customers/{w.rita_customer}", only(200, "admin", "cora", "rita")),
    ],
    ("GET", "/api/me"): [Case(lambda w: "/api/me", expect(200))],
    ("GET", "/api/inbox"): [Case(lambda w: "/api/inbox", expect(200))],
    ("GET", "/api/steps/{step_id}"): [
        Case(lambda w: f"/api{sam_step(w)}", only(200, "admin", "olga")),
    ],
    ("POST", "/api/steps/{step_id}/decision"): [
        Case(lambda w: f"/api/steps/{w.sam_step}/decision", only(422, "admin", "olga"),
             json=dict(REJECT_WITHOUT_REASON)),
    ],
    ("POST", "/api/steps/{step_id}/delegate"): [
        Case(lambda w: f"/api/steps/{w.sam_step}/delegate", only(422, "admin", "olga"),
             json={"to": "nobody"}),  # well-formed, refused after the scope check
    ],
    ("POST", "/api/steps/{step_id}/request-document"): [
        Case(lambda w: f"/api/steps/{w.sam_step}/request-document", only(422, "admin", "olga"),
             json={"document": "Kbis", "due": "2000-01-01"}),  # due date in the past
    ],
    ("GET", "/api/openapi.json"): [Case(lambda w: "/api/openapi.json",
                                        expect(200, anonymous=200))],
    ("GET", "/static"): [Case(lambda w: "/static/portal.css", expect(200, anonymous=200))],
}


def flat_routes(app: Any) -> list[tuple[Any, str, set[str]]]:
    """(route, full path, methods) of every route, included routers flattened (FastAPI 0.150
    keeps an included router as one entry of `app.routes`)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [(r, r.path, set(getattr(r, "methods", None) or ())) for r in app.routes]
    return [(c.original_route, c.path, set(c.methods or ()))
            for c in iter_route_contexts(app.routes)]


def route_keys(app: Any) -> set[tuple[str, str]]:
    keys = set()
    for route, path, methods in flat_routes(app):
        if isinstance(route, Mount):
            keys.add(("GET", path))
        elif isinstance(route, APIRoute | Route):
            for method in sorted(methods - {"HEAD"}):
                keys.add((method, path))
    return keys


def declared_area(route: APIRoute) -> str | None:
    for dependency in route.dependant.dependencies:
        area = getattr(dependency.call, "area", None)
        if area is not None:
            return str(area)
    return None


@dataclass
class Actor:
    name: str
    client: TestClient
    csrf: str = ""
    seen: list[str] = field(default_factory=list)


def _actor(world: PortalWorld, name: str) -> Actor:
    client = TestClient(world.app)
    if name == ANON:
        return Actor(name, client, csrf_in(client.get("/login").text))
    assert sign_in(client, name).status_code == 303, name
    return Actor(name, client, client.get("/api/me").json()["csrf_token"])


def observe(actor: Actor, world: PortalWorld, case: Case) -> int | str:
    url = case.path(world)
    if case.json is not None:
        response = actor.client.post(url, json=case.json, headers={"X-CSRF-Token": actor.csrf},
                                     follow_redirects=False)
    elif case.form is not None:
        response = actor.client.post(url, data={**case.form(actor.name),
                                                "csrf_token": actor.csrf},
                                     follow_redirects=False)
    else:
        response = actor.client.get(url, follow_redirects=False)
    if url == "/login" and case.form is not None:  # a new session: its own CSRF token
        actor.csrf = actor.client.get("/api/me").json().get("csrf_token", "")
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/login?next="):
        return LOGIN
    if response.status_code == 401 and url.startswith("/api/"):
        return LOGIN
    return response.status_code


def test_every_route_has_a_row_and_declares_its_area(world: PortalWorld) -> None:
    routes = route_keys(world.app)
    assert sorted(routes - set(MATRIX)) == [], "routes without a row in the access matrix"
    assert sorted(set(MATRIX) - routes) == [], "matrix rows for routes that do not exist"
    api_routes = [(route, path) for route, path, _ in flat_routes(world.app)
                  if isinstance(route, APIRoute)]
    assert len(api_routes) >= 22
    undeclared = [path for route, path in api_routes if declared_area(route) is None]
    assert undeclared == [], "routes that do not declare their area with portal.access.require"


def test_every_route_answers_every_role_as_specified(world: PortalWorld) -> None:
    actors = [_actor(world, name) for name in ACTORS]
    cases = sorted(((case.last, key, case) for key, rows in MATRIX.items() for case in rows),
                   key=lambda item: item[0])
    mismatches = []
    for actor in actors:
        for _, key, case in cases:
            observed = observe(actor, world, case)
            wanted = case.expected[actor.name]
            if observed != wanted:
                mismatches.append(f"{key[0]} {case.path(world)} as {actor.name}: "
                                  f"got {observed}, expected {wanted}")
    assert not mismatches, "\n".join(mismatches)
    # The refused decisions changed nothing: the step still waits.
    with world.db() as s:
        from dossiers.files.service import get_step

        assert get_step(s, world.sam_step).state.value == "waiting"


def test_the_inbox_never_shows_a_step_outside_the_users_roles(world: PortalWorld) -> None:
    """Zero cross-scope reads in the lists: each user's inbox holds only their roles' steps."""
    expected = {"admin": {world.sam_step, world.rita_step},
                "olga": {world.sam_step, world.rita_step}}
    for name in ROLES:
        actor = _actor(world, name)
        api = {item["step_id"] for item in actor.client.get("/api/inbox").json()}
        page = actor.client.get("/inbox").text
        linked = {step for step in (world.sam_step, world.rita_step)
                  if f'href="/steps/{step}"' in page}
        assert api == linked == expected.get(name, set()), name
