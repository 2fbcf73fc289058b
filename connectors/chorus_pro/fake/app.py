"""The fake Chorus Pro over HTTP: PISTE token endpoint, `/cpro/` API, `/_fake/` controls.

Same paths, JSON shapes and error conventions as the real platform (HTTP 400 + `codeRetour` for
functional errors; 401/403 with a `WWW-Authenticate` challenge for a bad or expired token or a
missing API subscription; 401 with a `libelle` for a refused technical account). Faults queued
with `POST /_fake/faults` make the next matching call misbehave: latency, a 5xx, a 429, a timeout
*after* the call was processed (the ambiguous case), a truncated JSON body, a cut connection.

Control endpoints (JSON bodies)::

    POST /_fake/faults {"latency_ms": 50,
                        "next": [{"kind": "status", "status": 503, "when": "before"|"after",
                                  "path": "deposer/flux", "times": 1},
                                 {"kind": "rate_limit", "retry_after": 2},
                                 {"kind": "timeout", "seconds": 5},      # after processing
                                 {"kind": "truncated"}, {"kind": "disconnect"}],
                        "expire_tokens": true, "expire_accounts": ["TECH_LIASSE@cpro.fr"],
                        "unsubscribe": ["liasse-demo-client"],
                        "invoice_errors": {"FA-1": "why it is not integrated"},
                        "invoice_outcomes": {"FA-2": "A_RECYCLER"|"REJETEE"|"SUSPENDUE"},
                        "flow_outcomes": {"FA-3": "IN_REJETE"|"IN_INCIDENTE"}}
    POST /_fake/advance {"seconds": 3600}
    POST /_fake/reset {}
    GET  /_fake/deposits  -> {"counts": {invoice number: deposits}, "total": n}
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.chorus_pro.fake.state import FakeChorus, FunctionalError
from connectors.chorus_pro.fake.views import API_ROUTES


def _json(data: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return JSONResponse(data, status_code=status, headers=headers or None)


def _challenge(error: str) -> str:
    return f'Bearer realm="PISTE", error="{error}"'


def create_app(fake: FakeChorus | None = None) -> Starlette:
    fake = fake or FakeChorus()

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        issued = fake.issue_token(
            str(form.get("client_id", "")), str(form.get("client_secret", ""))
        )
        if issued is None:
            return _json({"error": "invalid_client", "error_description": "Bad credentials"}, 401)
        value, lifetime = issued
        return _json(
            {
                "access_token": value,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": "openid",
            }
        )

    def _identity_problem(request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        problem = fake.token_problem(auth.removeprefix("Bearer ").strip())
        if problem == "invalid_token":
            return _json(
                {"codeRetour": 401, "libelle": "Invalid or expired access token"},
                401,
                **{"WWW-Authenticate": _challenge("invalid_token")},
            )
        if problem == "insufficient_scope":
            return _json(
                {"codeRetour": 403, "libelle": "Application not subscribed to this API"},
                403,
                **{"WWW-Authenticate": _challenge("insufficient_scope")},
            )
        try:
            login, _, password = (
                base64.b64decode(request.headers.get("cpro-account", ""), validate=True)
                .decode("utf-8")
                .partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            login = password = ""
        account_problem = fake.account_problem(login, password)
        if account_problem:
            return _json({"codeRetour": 401, "libelle": account_problem}, 401)
        return None

    async def api(request: Request) -> Response:
        path = request.path_params["path"]
        if fake.faults.latency_ms:
            await asyncio.sleep(fake.faults.latency_ms / 1000)
        refused = _identity_problem(request)
        if refused is not None:
            return refused
        before = fake.faults.take(path, "before")
        if before is not None:
            return _fault_before(before)
        handler = API_ROUTES.get(path)
        if handler is None:
            return _json({"codeRetour": 404, "libelle": f"Ressource {path} inconnue"}, 404)
        try:
            body = json.loads(await request.body() or b"{}")
            result = handler(fake, body)
            status = 200
        except FunctionalError as exc:
            result, status = {"codeRetour": exc.code, "libelle": exc.libelle}, 400
        except json.JSONDecodeError:
            result, status = {"codeRetour": 20000, "libelle": "Corps JSON illisible"}, 400
        after = fake.faults.take(path, "after")
        if after is not None:
            return await _fault_after(after, result, status)
        return _json(result, status)

    async def health(request: Request) -> Response:
        return _json({"codeRetour": 0, "libelle": "OK"})

    async def control(request: Request) -> Response:
        action = request.path_params["action"]
        body = json.loads(await request.body() or b"{}")
        return (
            _json(CONTROLS[action](fake, body)) if action in CONTROLS else Response(status_code=404)
        )

    async def deposits(request: Request) -> Response:
        counts = fake.deposit_counts()
        return _json({"counts": counts, "total": sum(counts.values())})

    app = Starlette(
        routes=[
            Route("/api/oauth/token", token, methods=["POST"]),
            Route("/cpro/transverses/v1/health-check", health, methods=["GET"]),
            Route("/cpro/{path:path}", api, methods=["POST"]),
            Route("/_fake/deposits", deposits, methods=["GET"]),
            Route("/_fake/{action}", control, methods=["POST"]),
        ]
    )
    app.state.fake = fake
    return app


def _fault_before(fault: dict[str, Any]) -> Response:
    if fault["kind"] == "rate_limit":
        return _json(
            {"codeRetour": 429, "libelle": "Too many requests"},
            429,
            **{"Retry-After": str(fault.get("retry_after", 1))},
        )
    status = int(fault.get("status", 503))
    return _json({"codeRetour": status, "libelle": "Service indisponible"}, status)


async def _fault_after(fault: dict[str, Any], result: dict[str, Any], status: int) -> Response:
    """Misbehave *after* the call was processed: the caller cannot know it went through."""
    kind = fault["kind"]
    if kind == "timeout":
        await asyncio.sleep(float(fault.get("seconds", 5)))
        return _json(result, status)
    payload = json.dumps(result).encode()
    if kind == "truncated":
        return Response(payload[: len(payload) // 2], status, media_type="application/json")
    if kind == "disconnect":  # announce more bytes than sent: the connection ends mid-body
        headers = {"content-length": str(len(payload) + 100)}
        return Response(payload, status, headers=headers, media_type="application/json")
    code = int(fault.get("status", 502))
    return _json({"codeRetour": code, "libelle": "Erreur interne"}, code)


def _control_faults(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    with fake.lock:
        faults = fake.faults
        if "latency_ms" in body:
            faults.latency_ms = int(body["latency_ms"])
        faults.queue.extend(dict(f) for f in body.get("next", []))
        faults.invoice_errors.update(body.get("invoice_errors", {}))
        faults.invoice_outcomes.update(body.get("invoice_outcomes", {}))
        faults.flow_outcomes.update(body.get("flow_outcomes", {}))
        if body.get("expire_tokens"):
            fake.expire_tokens()
        for login in body.get("expire_accounts", []):
            fake.expired_accounts.add(login)
        for client_id in body.get("unsubscribe", []):
            fake.subscribed.discard(client_id)
        return {"latency_ms": faults.latency_ms, "queued": len(faults.queue)}


def _control_advance(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    now = fake.clock.advance(float(body.get("seconds", 0)))
    return {"now": now.isoformat()}


def _control_reset(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    fake.reset()
    return {"reset": True}


CONTROLS: dict[str, Callable[[FakeChorus, dict[str, Any]], dict[str, Any]]] = {
    "faults": _control_faults,
    "advance": _control_advance,
    "reset": _control_reset,
}

__all__ = ["create_app"]
