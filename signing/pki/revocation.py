"""Certificate revocation lists that Liasse issues itself, for CAs whose key it holds.

Why: a B-LT signature must carry, in the document security store, the revocation status of its
whole chain at signing time, so that it can be validated years later without any server. The
one-time signer certificates are issued by Liasse's own signing CA, so Liasse is the authority
that says whether they are revoked: it signs a fresh CRL itself at each signature and embeds it.
On a bare machine (the demo) nothing is fetched over the network; the CRL is also written next to
the CA (`<home>/pki/…crl`), which is where the certificates' distribution point says it lives.

One-time certificates are used for exactly one signature, their key is dropped right after, so
the list is normally empty; `revoked_serials` exists for the day an operator must revoke one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from signing.pki.x509_build import IssuerKey

# How long a CRL we sign stays the current one. Validators judge a signature at the time its
# timestamp proves, so the CRL only has to be fresh around the signing moment; a week leaves room
# for clock skew and for an operator to look at it, and keeps the DSS honest (not "forever").
CRL_VALIDITY = timedelta(days=7)


def build_crl(
    issuer_cert: x509.Certificate,
    issuer_key: IssuerKey,
    this_update: datetime,
    next_update: datetime,
    revoked_serials: Iterable[int] = (),
) -> asn1_crl.CertificateList:
    """A complete CRL for `issuer_cert`, signed with its key (RFC 5280: CRL number and AKI)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        # monotonic enough: one CRL per signature, numbered by its issue time in microseconds
        .add_extension(x509.CRLNumber(int(this_update.timestamp() * 1_000_000)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(this_update)
            .build()
        )
    signed = builder.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    return asn1_crl.CertificateList.load(signed.public_bytes(serialization.Encoding.DER))


def file_uri(path: Path) -> str:
    """The distribution point of a CRL published as a local file (never fetched by pyHanko,
    which only fetches http(s): the CRL reaches validators through the DSS)."""
    return path.resolve().as_uri()


def publish_crl(crl: asn1_crl.CertificateList, path: Path) -> None:
    """Write the CRL where the certificates say it lives, atomically (readers never see half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(crl.dump())
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def load_crl(path: Path) -> asn1_crl.CertificateList:
    return asn1_crl.CertificateList.load(path.read_bytes())
