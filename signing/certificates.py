"""Reading certificates from files: one helper for every part of `signing` (seal, TSA, trust
roots), so the PAdES and PKI subpackages share it without importing each other."""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509


def load_pem_certs(path: Path) -> list[asn1_x509.Certificate]:
    """Every certificate of a PEM bundle, or the one certificate of a DER file."""
    data = path.read_bytes()
    if not pem.detect(data):
        return [asn1_x509.Certificate.load(data)]
    return [asn1_x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(data, True)]
