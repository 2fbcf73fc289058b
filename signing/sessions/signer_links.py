"""Signing links: a signed, expiring token naming the session and the signer."""

from __future__ import annotations

from dataclasses import dataclass

from dossiers.signed_links import make_token, read_token

PURPOSE = "signing"


@dataclass(frozen=True)
class SignerLink:
    reference: str
    signer_id: int


def make_signer_token(secret: bytes, reference: str, signer_id: int) -> str:
    return make_token(secret, PURPOSE, {"s": reference, "p": signer_id})


def read_signer_token(secret: bytes, token: str, max_age_seconds: int) -> SignerLink:
    payload = read_token(secret, PURPOSE, token, max_age_seconds)
    return SignerLink(reference=str(payload["s"]), signer_id=int(payload["p"]))


def signing_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/sign/{token}"
