"""A fake Twilio speaking the Messages API wire contract, for tests and the demo.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP basic auth (account SID and auth
token) and form fields To/From/Body answers like Twilio: 201 with the message resource JSON,
401 with error 20003 on bad credentials, 400 with error 21211 on an invalid To number and with
error 21617 on a body over 1,600 characters. Every accepted message lands in an outbox
(`GET /_outbox`, and a JSON file if configured) from which tests and the demo read the codes;
the file holds codes and phone numbers, so it is created 0600 (owner only) and rewritten
atomically. Run it in-process with `FakeTwilioServer`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import phonenumbers
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

API_VERSION = "2010-04-01"
MAX_BODY = 1600  # Twilio's limit on a (concatenated) message body, in characters


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        },
    )


def _valid_e164(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return number.startswith("+") and phonenumbers.is_valid_number(parsed)


class Outbox:
    """Messages accepted by the fake, in order; mirrored to a JSON file when a path is given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        if path and path.is_file():
            self._messages = json.loads(path.read_text() or "[]")

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._messages.append(message)
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sms-")  # mode 0600
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(json.dumps(self._messages, ensure_ascii=False, indent=1))
                os.replace(tmp, self.path)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)


def create_app(account_sid: str, auth_token: str, outbox: Outbox) -> FastAPI:
    app = FastAPI(title="Fake Twilio", docs_url=None, redoc_url=None)
    by_idempotency_token: dict[str, dict[str, Any]] = {}

    def authorised(request: Request, path_sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            secrets.compare_digest(user, account_sid)
            and secrets.compare_digest(password, auth_token)
            and path_sid == account_sid
        )

    @app.post(f"/{API_VERSION}/Accounts/{{sid}}/Messages.json")
    async def create_message(sid: str, request: Request) -> JSONResponse:
        if not authorised(request, sid):
            return _error(401, 20003, "Authenticate")
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not _valid_e164(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "The 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return _error(
                400, 21617, f"The concatenated message body exceeds the {MAX_BODY} character limit."
            )
        token = request.headers.get("i-twilio-idempotency-token")
        if token and token in by_idempotency_token:
            return JSONResponse(status_code=201, content=by_idempotency_token[token])
        message_sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{sid}/Messages/{message_sid}.json"
        resource = {
            "account_sid": sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": message_sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        if token:
            by_idempotency_token[token] = resource
        outbox.add(resource)
        return JSONResponse(status_code=201, content=resource)

    @app.get("/_outbox")
    async def read_outbox() -> list[dict[str, Any]]:
        return outbox.all()

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeTwilioServer:
    """Runs the fake with uvicorn in a background thread on 127.0.0.1 (context manager)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        outbox_file: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.outbox = Outbox(outbox_file)
        self.port = port or _free_port()
        config = uvicorn.Config(
            create_app(account_sid, auth_token, self.outbox),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,  # clients keep connections alive; don't wait for them
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTwilioServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Twilio server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilioServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
