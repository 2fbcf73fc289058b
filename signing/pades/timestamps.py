"""Which RFC 3161 time-stamping authority to use.

Production points `LIASSE_TSA_URL` at a qualified TSA; the demo (no network, no TSA) uses
pyHanko's in-process `DummyTimeStamper` with the demo PKI's TSA certificate, which still produces
genuine RFC 3161 tokens that validate against the demo root.
"""

from __future__ import annotations

from pathlib import Path

from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.certificates import load_pem_certs


def http_timestamper(url: str, timeout: int = 10) -> TimeStamper:
    return HTTPTimeStamper(url, timeout=timeout)


def local_timestamper(
    cert_path: Path, key_path: Path, chain_path: Path | None = None
) -> TimeStamper:
    cert = load_pem_certs(cert_path)[0]
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = load_pem_certs(chain_path) if chain_path else []
    return DummyTimeStamper(
        tsa_cert=cert,
        tsa_key=asn1_keys.PrivateKeyInfo.load(der),
        certs_to_embed=SimpleCertificateStore.from_certs([cert, *chain]),
    )
