"""The signing PKI (`SigningPki`), resolved once from settings: CA, seal, TSA, trust roots, level.

Each piece falls back to the demo PKI (generated under `<LIASSE_HOME>/pki/` on first use) when its
setting is absent, so the demo signs for real on a bare machine while production configures every
piece explicitly. Tests build a `SigningPki` directly from the certomancer test PKI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.sign import signers
from pyhanko.sign.timestamps import TimeStamper

from signing.certificates import load_pem_certs
from signing.pades.profile import PadesLevel, PadesProfile
from signing.pades.seal import CompanySeal
from signing.pades.timestamps import http_timestamper, local_timestamper
from signing.pki import demo_pki
from signing.pki.revocation import file_uri, load_crl
from signing.pki.seal_credentials import load_seal_signer
from signing.pki.signing_ca import SigningCA
from signing.settings import SigningSettings


@dataclass
class SigningPki:
    signing_ca: SigningCA
    seal_signer: signers.Signer
    timestamper: TimeStamper | None
    trust_roots: list[asn1_x509.Certificate]
    level: PadesLevel = PadesLevel.B_LT
    seal_level: PadesLevel | None = None
    company_name: str = "Liasse"
    other_certs: list[asn1_x509.Certificate] = field(default_factory=list)
    # CRLs Liasse issues or holds itself (its signing CA, the demo root), embedded at B-LT/B-LTA
    local_crls: Callable[[], list[asn1_crl.CertificateList]] | None = None

    def profile(self, level: PadesLevel | None = None) -> PadesProfile:
        return PadesProfile(
            level=level or self.level,
            timestamper=self.timestamper,
            trust_roots=tuple(self.trust_roots),
            other_certs=tuple(self.other_certs),
            revocation=self.local_crls,
        )

    @cached_property
    def _seal(self) -> CompanySeal:
        return CompanySeal(self.seal_signer, self.profile(self.seal_level), self.company_name)

    def company_seal(self) -> CompanySeal:
        return self._seal


def build_signing_pki(s: SigningSettings) -> SigningPki:
    demo = None

    def demo_files() -> demo_pki.DemoPkiFiles:
        nonlocal demo
        demo = demo or demo_pki.ensure_demo_pki(s.pki_dir)
        return demo

    password = s.signing_ca_password.get_secret_value().encode() if s.signing_ca_password else None
    # No published CRL URL: Liasse publishes its CA's CRL itself, next to the PKI, and embeds it
    own_crl = None if s.signing_ca_crl_url else s.pki_dir / demo_pki.SIGNING_CA_CRL
    ca_kwargs = {
        "crl_url": file_uri(own_crl) if own_crl is not None else s.signing_ca_crl_url,
        "validity": timedelta(minutes=s.signer_cert_minutes),
        "crl_file": own_crl,
    }
    if s.signing_ca_cert and s.signing_ca_key:
        ca = SigningCA.from_files(s.signing_ca_cert, s.signing_ca_key, password, **ca_kwargs)
    else:
        files = demo_files()
        ca = SigningCA.from_files(
            files.path(demo_pki.SIGNING_CA), files.path(demo_pki.SIGNING_CA_KEY), **ca_kwargs
        )

    seal_password = s.seal_password.get_secret_value().encode() if s.seal_password else None
    if s.seal_cert:
        seal = load_seal_signer(s.seal_cert, s.seal_key, seal_password, s.seal_chain)
    else:
        files = demo_files()
        seal = load_seal_signer(
            files.path(demo_pki.SEAL),
            files.path(demo_pki.SEAL_KEY),
            chain_path=files.path(demo_pki.ROOT),
        )

    if s.tsa_url:
        timestamper: TimeStamper = http_timestamper(s.tsa_url)
    else:
        files = demo_files()
        timestamper = local_timestamper(
            files.path(demo_pki.TSA), files.path(demo_pki.TSA_KEY), files.path(demo_pki.ROOT)
        )

    roots = load_pem_certs(s.trust_roots) if s.trust_roots else []
    held_crls: list[asn1_crl.CertificateList] = []
    if demo is not None:
        roots += load_pem_certs(demo.path(demo_pki.ROOT))
        if demo.path(demo_pki.ROOT_CRL).is_file():  # demo PKIs made before B-LT have none
            held_crls.append(load_crl(demo.path(demo_pki.ROOT_CRL)))

    def local_crls() -> list[asn1_crl.CertificateList]:
        own = [ca.crl(datetime.now(UTC))] if own_crl is not None else []
        return own + held_crls

    return SigningPki(
        signing_ca=ca,
        seal_signer=seal,
        timestamper=timestamper,
        trust_roots=roots,
        level=PadesLevel(s.pades_level),
        seal_level=PadesLevel(s.seal_pades_level) if s.seal_pades_level else None,
        local_crls=local_crls,
    )


def verification_roots(s: SigningSettings) -> list[asn1_x509.Certificate]:
    """Roots `liasse verify` trusts: the configured bundle, Liasse's signing CA, the demo root.

    Verification never creates a PKI: a machine without the demo root only trusts what it was
    told to trust.
    """
    roots = load_pem_certs(s.trust_roots) if s.trust_roots else []
    if s.signing_ca_cert and s.signing_ca_cert.is_file():
        roots += load_pem_certs(s.signing_ca_cert)  # Liasse's own CA anchors its signers
    demo_root = s.pki_dir / demo_pki.ROOT
    if demo_root.is_file():
        roots += load_pem_certs(demo_root)
    return roots
