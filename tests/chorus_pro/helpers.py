"""Shared values and helpers of the Chorus Pro tests (fixtures live in conftest)."""

from __future__ import annotations

import httpx

from connectors.chorus_pro.settings import ChorusSettings

CLIENT_ID, CLIENT_SECRET = "liasse-demo-client", "liasse-demo-secret"
LOGIN, PASSWORD = "TECH_LIASSE@cpro.fr", "Tech-Password-2026"
FREE_BUYER = "13000120900019"  # no service code, no legal commitment required
SERVICE_BUYER = "18000450900014"  # service code required; service ACHATS requires an EJ
EJ_BUYER = "11000670700019"  # legal commitment required
MANY_SERVICES_BUYER = "19000230300013"  # 25 services: paging


def make_settings(url: str, **overrides: object) -> ChorusSettings:
    values: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "technical_login": LOGIN,
        "technical_password": PASSWORD,
        "api_base_url": url,
        "oauth_base_url": url,
        "timeout_seconds": 0.5,
        "reconcile_after_seconds": 300,
        **overrides,
    }
    return ChorusSettings.model_validate(values)


def deposit_counts(server_url: str) -> dict[str, int]:
    """The fake's own count of deposits per invoice number, read over HTTP."""
    return httpx.get(f"{server_url}/_fake/deposits").json()["counts"]


def inject(server_url: str, **faults: object) -> None:
    httpx.post(f"{server_url}/_fake/faults", json=faults).raise_for_status()
