"""When each signature and timestamp is judged, and with which revocation data.

A one-time signer certificate lives an hour; a contract must stay verifiable for ten years. So a
signature is never judged at "now": it is judged at the time its RFC 3161 signature timestamp
proves it existed, with the revocation data embedded in the document security store (DSS) at
signing time (B-LT). The rule, one step per timestamp in the file:

- a signer's certificate is judged at the time of its **signature timestamp**; a signature
  without one (B-B) can only be judged now, and the report says so;
- a timestamp (a signature's, or a document timestamp) is judged at the time proven by the
  **next document timestamp** that covers it (B-LTA: the archive chain);
- the **newest** timestamp has nothing after it. It is judged at its own time with the
  revocation data embedded for it, and its TSA certificate must still be unexpired and chain to
  a trusted root *now*: that is what re-timestamping (`extend_archive_timestamp`) must keep
  true, before the TSA certificate ages out. With `--fetch`, it is judged now with current
  revocation data instead.

Nothing here reads the clock: the caller passes `now`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms, core, ocsp
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathError, ValidationError
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

# Only for "is this TSA certificate still unexpired and trusted now": revocation is judged at the
# timestamp's own time, with the data embedded for it.
NO_REVOCATION_CHECK = CertRevTrustPolicy(
    RevocationCheckingPolicy(RevocationCheckingRule.NO_CHECK, RevocationCheckingRule.NO_CHECK)
)


@dataclass(frozen=True)
class EmbeddedRevocation:
    """Certificates, CRLs and OCSP responses of the DSS, parsed once per verification."""

    certs: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()

    @classmethod
    def read(cls, reader: PdfFileReader) -> EmbeddedRevocation:
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return cls()
        crls = tuple(
            asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            for ref in dss.crls
        )
        ocsps = tuple(
            ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for ref in dss.ocsps
        )
        return cls(tuple(dss.load_certs()), crls, ocsps)

    def covers(self, cert: asn1_x509.Certificate | None) -> bool:
        """Whether the DSS holds revocation data about `cert`: a CRL from its issuer, or an
        OCSP response naming its serial number."""
        if cert is None:
            return False
        issuer = cert.issuer
        if any(crl["tbs_cert_list"]["issuer"] == issuer for crl in self.crls):
            return True
        return any(cert.serial_number in _ocsp_serials(resp) for resp in self.ocsps)


def _ocsp_serials(response: ocsp.OCSPResponse) -> set[int]:
    try:
        data = response["response_bytes"]["response"].parsed["tbs_response_data"]
        return {single["cert_id"]["serial_number"].native for single in data["responses"]}
    except (KeyError, TypeError, ValueError):
        return set()


class Judge:
    """Builds the validation contexts for one verification: trust roots, embedded revocation
    data, the present moment, and whether fetching current revocation data is allowed."""

    def __init__(
        self,
        trust_roots: Iterable[asn1_x509.Certificate],
        revocation: EmbeddedRevocation,
        now: datetime,
        *,
        allow_fetching: bool = False,
    ) -> None:
        self.trust_roots = list(trust_roots)
        self.revocation = revocation
        self.now = now
        self.allow_fetching = allow_fetching

    def _kwargs(self) -> dict[str, Any]:
        return {
            "trust_roots": self.trust_roots,
            "other_certs": list(self.revocation.certs),
            "crls": list(self.revocation.crls),
            "ocsps": list(self.revocation.ocsps),
        }

    def at(self, moment: datetime) -> ValidationContext:
        """Point-in-time validation at `moment` with the embedded data only (soft-fail: data
        that is present must be valid and current at `moment`; B-T carries none)."""
        return ValidationContext(moment=moment, best_signature_time=moment, **self._kwargs())

    def now_context(self) -> ValidationContext:
        """Validation now: fetching current revocation data if allowed (then "now" is the
        real present, whatever `now` says: fetched data is today's)."""
        if self.allow_fetching:
            return ValidationContext(allow_fetching=True, **self._kwargs())
        return self.at(self.now)

    def tsa_valid_now(self, token: cms.SignedData) -> str | None:
        """None if the token's TSA certificate is unexpired and chains to a trusted root now;
        otherwise why not (the newest timestamp must be renewed before this happens)."""
        context = ValidationContext(
            moment=self.now, revinfo_policy=NO_REVOCATION_CHECK, **self._kwargs()
        )
        try:
            info = extract_certificate_info(token)
            validator = CertificateValidator(
                info.signer_cert,
                intermediate_certs=info.other_certs,
                validation_context=context,
            )
            asyncio.run(validator.async_validate_usage(set(), {"time_stamping"}))
        except (PathError, PathBuildingError, ValidationError, ValueError, KeyError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None


def token_time(token: cms.SignedData) -> datetime:
    """The time an RFC 3161 token attests (TSTInfo genTime)."""
    return token["encap_content_info"]["content"].parsed["gen_time"].native


def signature_timestamp(sig: EmbeddedPdfSignature) -> cms.SignedData | None:
    """The signature's own RFC 3161 token (unsigned attribute), if it has one (B-T and up)."""
    attrs = sig.signer_info["unsigned_attrs"]
    if isinstance(attrs, core.Void):
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None
