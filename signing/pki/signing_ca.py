"""Liasse's signing CA: issues a one-time certificate to each signer after a correct SMS code.

Why one-time certificates: the signer's PAdES signature must name the signer (name, e-mail,
phone) and be made with a key nobody else ever held. The key is generated in memory, used for
exactly one signature and dropped; the certificate lives a short while (an hour by default) and
identifies the signer by name, e-mail and the SHA-256 of the phone number (the number itself is
personal data and stays out of the certificate).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.pki.errors import PkiError
from signing.pki.revocation import CRL_VALIDITY, build_crl, publish_crl
from signing.pki.x509_build import (
    CertProfile,
    IssuerKey,
    build_certificate,
    name,
    new_key,
    to_asn1_cert,
    to_asn1_key,
)


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs: what the certificate subject says about them."""

    full_name: str
    email: str
    phone_e164: str

    @property
    def phone_sha256(self) -> str:
        return hashlib.sha256(self.phone_e164.encode()).hexdigest()


@dataclass(frozen=True)
class OneTimeCredentials:
    """A signer's certificate and a pyHanko signer holding its in-memory key."""

    certificate: asn1_x509.Certificate
    signer: SimpleSigner


class SigningCA:
    def __init__(
        self,
        cert: x509.Certificate,
        key: IssuerKey,
        chain: list[x509.Certificate] | None = None,
        crl_url: str | None = None,
        validity: timedelta = timedelta(hours=1),
        crl_file: Path | None = None,
    ) -> None:
        self.cert = cert
        self._key = key
        self.chain = chain or []
        self.crl_url = crl_url
        self.validity = validity
        self.crl_file = crl_file  # where `crl()` publishes its CRL (the demo's distribution point)

    @classmethod
    def from_files(
        cls,
        cert_path: Path,
        key_path: Path,
        password: bytes | None = None,
        **kwargs: object,
    ) -> SigningCA:
        try:
            certs = x509.load_pem_x509_certificates(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password)
        except (OSError, ValueError, TypeError) as exc:
            raise PkiError(
                f"Impossible de charger l'AC de signature ({cert_path}) : {exc}.",
                f"Cannot load the signing CA ({cert_path}): {exc}.",
            ) from exc
        return cls(certs[0], key, chain=certs[1:], **kwargs)  # type: ignore[arg-type]

    def crl(self, now: datetime) -> asn1_crl.CertificateList:
        """A fresh CRL signed by this CA (published to `crl_file` if set), for the DSS of B-LT.

        `this_update` is `now`, before the signature it accompanies is made, so a validator
        judging the signature at the time its timestamp proves finds this CRL already current.
        """
        crl = build_crl(self.cert, self._key, now, now + CRL_VALIDITY)
        if self.crl_file is not None:
            publish_crl(crl, self.crl_file)
        return crl

    def issue_one_time(self, identity: SignerIdentity, now: datetime) -> OneTimeCredentials:
        """A fresh key and certificate for one signature; the key exists only in the result."""
        key = new_key()
        subject = name(
            identity.full_name,
            organization="Signataire Liasse",
            unit="Certificat a usage unique / one-time certificate",
            email=identity.email,
            serial=identity.phone_sha256,
        )
        profile = CertProfile(
            crl_urls=(self.crl_url,) if self.crl_url else (), emails=(identity.email,)
        )
        cert = build_certificate(
            subject=subject,
            subject_key=key,
            issuer=self.cert.subject,
            issuer_key=self._key,
            issuer_cert=self.cert,
            not_before=now - timedelta(minutes=1),
            not_after=now + self.validity,
            profile=profile,
        )
        asn1_cert = to_asn1_cert(cert)
        chain = [to_asn1_cert(c) for c in [self.cert, *self.chain]]
        signer = SimpleSigner(
            signing_cert=asn1_cert,
            signing_key=to_asn1_key(key),
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        return OneTimeCredentials(certificate=asn1_cert, signer=signer)
