"""The fake VIES over HTTP (SOAP 1.1, document/literal, as the WSDL describes).

`GET ?wsdl` serves the packaged WSDL with `soap:address` rewritten to this server, so a zeep
client can be built from the URL as from the file. `POST` answers `checkVat` envelopes from a
small registry; unknown numbers are `valid=false`. Faults — VIES's `faultstring` values — are
queued (`next_faults`) or set per country (`country_faults`), and `delay_seconds` makes the
server slower than the client's timeout. `requests` counts the calls (cache tests).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from xml.sax.saxutils import escape

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES_NS = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
EU_CODES = set(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    ]
)
NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z+*.]{2,12}$")
DEFAULT_REGISTRY = {
    ("FR", "40303265045"): ("SA ODOO", "40 RUE DU PONT\n75001 PARIS"),
    ("BE", "0403019261"): ("NV BRASSERIE EXEMPLE", "GROTE MARKT 1\n1000 BRUSSEL"),
    ("DE", "136695976"): ("---", "---"),  # Germany does not disclose name and address
}


@dataclass
class FakeVies:
    registry: dict[tuple[str, str], tuple[str, str]] = field(
        default_factory=lambda: dict(DEFAULT_REGISTRY)
    )
    next_faults: list[str] = field(default_factory=list)
    country_faults: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    requests: int = 0
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.registry = dict(DEFAULT_REGISTRY)
            self.next_faults.clear()
            self.country_faults.clear()
            self.delay_seconds = 0.0
            self.requests = 0

    def answer(self, country: str, number: str) -> tuple[int, bytes]:
        with self.lock:
            self.requests += 1
            fault = self.next_faults.pop(0) if self.next_faults else None
            fault = fault or self.country_faults.get(country)
            if fault is None and (country not in EU_CODES or not NUMBER_PATTERN.match(number)):
                fault = "INVALID_INPUT"
            if fault:
                return 500, _fault(fault)
            known = self.registry.get((country, number))
        body = (
            f'<ns2:checkVatResponse xmlns:ns2="{TYPES_NS}">'
            f"<ns2:countryCode>{escape(country)}</ns2:countryCode>"
            f"<ns2:vatNumber>{escape(number)}</ns2:vatNumber>"
            f"<ns2:requestDate>{self.today().isoformat()}+01:00</ns2:requestDate>"
            f"<ns2:valid>{'true' if known else 'false'}</ns2:valid>"
            f"<ns2:name>{escape(known[0]) if known else '---'}</ns2:name>"
            f"<ns2:address>{escape(known[1]) if known else '---'}</ns2:address>"
            "</ns2:checkVatResponse>"
        )
        return 200, _envelope(body)


def _envelope(body: str) -> bytes:
    return (
        f'<env:Envelope xmlns:env="{SOAP_ENV}"><env:Header/><env:Body>{body}'
        "</env:Body></env:Envelope>"
    ).encode()


def _fault(faultstring: str) -> bytes:
    return _envelope(
        f"<env:Fault><faultcode>env:Server</faultcode><faultstring>{escape(faultstring)}"
        "</faultstring></env:Fault>"
    )


def _wsdl(address: str) -> bytes:
    text = resources.files("connectors.vies").joinpath("checkVatService.wsdl").read_text("utf-8")
    text = re.sub(r'(<wsdlsoap:address location=")[^"]*(")', rf"\g<1>{address}\g<2>", text)
    return text.encode("utf-8")


def create_app(fake: FakeVies | None = None) -> Starlette:
    fake = fake or FakeVies()
    path = "/taxation_customs/vies/services/checkVatService"

    async def wsdl_or_nothing(request: Request) -> Response:
        if "wsdl" not in {k.lower() for k in request.query_params}:
            return Response("GET ?wsdl for the service description", 200)
        address = str(request.url.replace(query=""))
        return Response(_wsdl(address), media_type="text/xml")

    async def check(request: Request) -> Response:
        if fake.delay_seconds:
            await asyncio.sleep(fake.delay_seconds)
        try:
            root = etree.fromstring(await request.body())
            call = root.find(f"{{{SOAP_ENV}}}Body/{{{TYPES_NS}}}checkVat")
            country = (call.findtext(f"{{{TYPES_NS}}}countryCode") or "").strip()  # type: ignore[union-attr]
            number = (call.findtext(f"{{{TYPES_NS}}}vatNumber") or "").strip()  # type: ignore[union-attr]
        except (etree.XMLSyntaxError, AttributeError):
            return Response(_fault("INVALID_INPUT"), 500, media_type="text/xml")
        status, body = fake.answer(country, number)
        return Response(body, status, media_type="text/xml; charset=utf-8")

    async def control(request: Request) -> Response:
        body = await request.json()
        with fake.lock:
            fake.next_faults.extend(body.get("next_faults", []))
            fake.country_faults.update(body.get("country_faults", {}))
            fake.delay_seconds = float(body.get("delay_seconds", fake.delay_seconds))
        return JSONResponse({"requests": fake.requests})

    app = Starlette(
        routes=[
            Route(path, wsdl_or_nothing, methods=["GET"]),
            Route(path, check, methods=["POST"]),
            Route("/_fake/faults", control, methods=["POST"]),
        ]
    )
    app.state.fake = fake
    app.state.service_path = path
    return app
