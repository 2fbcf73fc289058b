"""The PAdES profile: which baseline level, which TSA, which trust roots.

B-LT is the default: signature + RFC 3161 timestamp (B-T) + the revocation information of the
whole chain in the document security store (DSS) at signing time, so the signature can be judged
years later, offline, at the time its timestamp proves (a one-time signer certificate lives an
hour). That needs a validation context that may fetch CRLs/OCSP responses, plus the CRLs Liasse
signs itself (`revocation`, for its own signing CA and the demo PKI: nothing to fetch). B-LTA adds
a document timestamp over the DSS, so the evidence can be renewed before the TSA certificate and
the algorithms age (`signing.pades.archive_timestamp.extend_archive_timestamp`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from signing.pades.errors import PadesError


class PadesLevel(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def needs_timestamp(self) -> bool:
        return self is not PadesLevel.B_B

    @property
    def embeds_revocation_info(self) -> bool:
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)


@dataclass(frozen=True)
class PadesProfile:
    level: PadesLevel = PadesLevel.B_LT
    timestamper: TimeStamper | None = None
    trust_roots: tuple[asn1_x509.Certificate, ...] = field(default=())
    other_certs: tuple[asn1_x509.Certificate, ...] = field(default=())
    # CRLs to embed besides what is fetched; called at each signature (they must be fresh then)
    revocation: Callable[[], Sequence[asn1_crl.CertificateList]] | None = None

    def __post_init__(self) -> None:
        if self.level.needs_timestamp and self.timestamper is None:
            raise PadesError(
                f"Le niveau PAdES {self.level} exige une autorité d'horodatage.",
                f"PAdES level {self.level} requires a time-stamping authority.",
            )
        if self.level.embeds_revocation_info and not self.trust_roots:
            raise PadesError(
                f"Le niveau PAdES {self.level} exige des racines de confiance.",
                f"PAdES level {self.level} requires trust roots.",
            )

    def signing_validation_context(self) -> ValidationContext | None:
        """Context used while signing: only B-LT/B-LTA need one, and it must fetch revinfo."""
        if not self.level.embeds_revocation_info:
            return None
        return self.revocation_context()

    def revocation_context(self) -> ValidationContext:
        """Validation at the present moment that gathers revocation info: fetched from the
        certificates' http(s) distribution points and OCSP responders, plus `revocation`'s
        CRLs. Hard-fail: a certificate that declares revocation info must have it, or we would
        embed a DSS that cannot prove anything later."""
        return ValidationContext(
            trust_roots=list(self.trust_roots),
            other_certs=list(self.other_certs),
            allow_fetching=True,
            crls=list(self.revocation()) if self.revocation else None,
            revocation_mode="hard-fail",
        )
