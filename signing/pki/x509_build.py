"""Certificate building with `cryptography`, and conversion to pyHanko's asn1crypto objects.

pyHanko speaks asn1crypto; `cryptography` is the library we trust to generate keys and sign
certificates. These helpers are the single bridge between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey
IssuerKey = CertificateIssuerPrivateKeyTypes


def new_key() -> PrivateKey:
    """A fresh P-256 key: fast to generate, which matters for one key per signer."""
    return ec.generate_private_key(ec.SECP256R1())


def new_rsa_key() -> IssuerKey:
    """RSA 2048, for the demo TSA: pyHanko's in-process timestamper only signs with RSA."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(common_name: str, organization: str = "Liasse", **extra: str) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    oids = {
        "email": NameOID.EMAIL_ADDRESS,
        "serial": NameOID.SERIAL_NUMBER,
        "unit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    }
    attributes += [x509.NameAttribute(oids[key], value) for key, value in extra.items()]
    return x509.Name(attributes)


@dataclass(frozen=True)
class CertProfile:
    """What a certificate is for: CA, document signer, or time-stamping unit."""

    is_ca: bool = False
    time_stamping: bool = False
    crl_urls: tuple[str, ...] = ()
    ocsp_urls: tuple[str, ...] = ()
    emails: tuple[str, ...] = field(default=())


def build_certificate(
    *,
    subject: x509.Name,
    subject_key: IssuerKey,
    issuer: x509.Name,
    issuer_key: IssuerKey,
    not_before: datetime,
    not_after: datetime,
    profile: CertProfile,
    issuer_cert: x509.Certificate | None = None,
) -> x509.Certificate:
    public_key = subject_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=profile.is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    authority_public = issuer_cert.public_key() if issuer_cert else issuer_key.public_key()
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_public),  # type: ignore[arg-type]
        critical=False,
    )
    builder = builder.add_extension(_key_usage(profile), critical=True)
    if profile.time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if profile.crl_urls:
        points = [
            x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
            for url in profile.crl_urls
        ]
        builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
    if profile.ocsp_urls:
        access = [
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url)
            )
            for url in profile.ocsp_urls
        ]
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    if profile.emails:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(e) for e in profile.emails]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(profile: CertProfile) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not profile.is_ca and not profile.time_stamping,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=profile.is_ca,
        crl_sign=profile.is_ca,
        encipher_only=False,
        decipher_only=False,
    )


def self_signed_root(
    common_name: str, key: PrivateKey, now: datetime, years: int
) -> x509.Certificate:
    subject = name(common_name)
    return build_certificate(
        subject=subject,
        subject_key=key,
        issuer=subject,
        issuer_key=key,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=365 * years),
        profile=CertProfile(is_ca=True),
    )


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_asn1_key(key: IssuerKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: IssuerKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
