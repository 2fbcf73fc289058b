"""The demo's self-signed PKI, generated with `cryptography` under `<LIASSE_HOME>/pki/` once.

A bare machine has no CA, no seal certificate and no TSA, yet the demo must sign for real. On
first use we create: a root, Liasse's signing CA (issues one-time signer certificates), the company
seal certificate and a time-stamping unit certificate (used by an in-process RFC 3161 TSA). The
files are written to a temporary folder and renamed into place, so a crash never leaves half a
PKI. None of this is trusted by anyone but Liasse itself: production configures real ones.

Revocation without servers (B-LT is the default level): the root signs, once, a CRL as long-lived
as itself (`root.crl`: nothing it issued is revoked), and the certificates it issues name that file
as their CRL distribution point; the signing CA signs a fresh CRL at each signature
(`SigningCA.crl`, published as `signing-ca.crl`). Both are handed to pyHanko directly and embedded
in the DSS; nothing is ever fetched. The root key is not kept, as before: the demo root is offline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from signing.pki.revocation import build_crl, file_uri
from signing.pki.x509_build import (
    CertProfile,
    IssuerKey,
    build_certificate,
    cert_pem,
    key_pem,
    name,
    new_key,
    new_rsa_key,
    self_signed_root,
)

ROOT = "root.pem"
SIGNING_CA, SIGNING_CA_KEY = "signing-ca.pem", "signing-ca.key"
SEAL, SEAL_KEY = "seal.pem", "seal.key"
TSA, TSA_KEY = "tsa.pem", "tsa.key"
ROOT_CRL, SIGNING_CA_CRL = "root.crl", "signing-ca.crl"


@dataclass(frozen=True)
class DemoPkiFiles:
    folder: Path

    def path(self, filename: str) -> Path:
        return self.folder / filename


def ensure_demo_pki(folder: Path, company: str = "Liasse (démo)") -> DemoPkiFiles:
    """Create the demo PKI in `folder` unless it is already there; return where it lives."""
    if (folder / ROOT).is_file():
        return DemoPkiFiles(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pki-", dir=folder.parent))
    try:
        _generate(staging, company, datetime.now(UTC), final=folder)
        try:
            os.rename(staging, folder)
        except OSError:  # another process won the race: use theirs
            if not (folder / ROOT).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DemoPkiFiles(folder)


def _generate(out: Path, company: str, now: datetime, final: Path | None = None) -> None:
    """Write the PKI into `out`; distribution points name the files where they end up, `final`."""
    root_key = new_key()
    root = self_signed_root(f"{company} - racine de démonstration", root_key, now, years=20)
    root_crl_url = file_uri((final or out) / ROOT_CRL)

    def issue(
        common_name: str, profile: CertProfile, years: int, key: IssuerKey | None = None
    ) -> tuple[x509.Certificate, IssuerKey]:
        key = key or new_key()
        cert = build_certificate(
            subject=name(common_name, organization=company),
            subject_key=key,
            issuer=root.subject,
            issuer_key=root_key,
            issuer_cert=root,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * years),
            profile=profile,
        )
        return cert, key

    crl_urls = (root_crl_url,)
    signing_ca, signing_ca_key = issue(
        f"{company} - AC de signature", CertProfile(is_ca=True, crl_urls=crl_urls), 10
    )
    seal, seal_key = issue(f"{company} - cachet", CertProfile(crl_urls=crl_urls), 5)
    tsa, tsa_key = issue(
        f"{company} - horodatage",
        CertProfile(time_stamping=True, crl_urls=crl_urls),
        15,  # the newest timestamp is judged now: it must outlive the ten-year retention
        key=new_rsa_key(),
    )
    root_crl = build_crl(root, root_key, now - timedelta(days=1), root.not_valid_after_utc)
    files = {
        ROOT: cert_pem(root),
        SIGNING_CA: cert_pem(signing_ca),
        SIGNING_CA_KEY: key_pem(signing_ca_key),
        SEAL: cert_pem(seal),
        SEAL_KEY: key_pem(seal_key),
        TSA: cert_pem(tsa),
        TSA_KEY: key_pem(tsa_key),
        ROOT_CRL: root_crl.dump(),
    }
    for filename, data in files.items():
        target = out / filename
        target.write_bytes(data)
        if filename.endswith(".key"):
            target.chmod(0o600)
