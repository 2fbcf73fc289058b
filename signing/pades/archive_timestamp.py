"""Re-timestamping an archived PDF (PAdES B-LTA), so it stays verifiable past its TSA's life.

Verification judges each timestamp at the time proven by the next document timestamp, and the
newest one against the TSA certificate that must still be valid *today*. A TSA certificate lasts
a few years, an archived contract ten: before the newest timestamp's TSA certificate ages out
(or its algorithms weaken), a job calls `extend_archive_timestamp`, which

1. validates, now, the timestamps nothing protects yet (the newest document timestamp, or, on a
   B-LT file that has none, every signature timestamp), gathering their current revocation data;
2. adds that data to the document security store (DSS);
3. adds a new document timestamp over everything, DSS included (an incremental update: every
   earlier signature stays byte for byte as it was).

The file then validates at the new timestamp's time for everything before it. Refused (nothing
written) if those timestamps no longer validate now: then it is too late, the chain is broken.
"""

from __future__ import annotations

import asyncio
import uuid
from io import BytesIO

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathError, ValidationError
from pyhanko_certvalidator.path import ValidationPath

from signing.pades.errors import PadesError, TimestampUnavailable
from signing.pades.incremental import open_incremental
from signing.pades.profile import PadesProfile

ARCHIVE_FIELD_PREFIX = "LiasseArchiveTimestamp-"
DIGEST_ALGORITHM = "sha256"
# the new timestamp's own revocation data goes in before it, so it covers the whole file
TIMESTAMP_DSS = TimestampDSSContentSettings(include_vri=False, update_before_ts=True)


class ArchiveChainBroken(PadesError):
    """The timestamps to protect no longer validate now: re-timestamping came too late."""


def extend_archive_timestamp(pdf_bytes: bytes, profile: PadesProfile) -> bytes:
    """The PDF with fresh revocation data for its unprotected timestamps in the DSS and a new
    document timestamp by the profile's TSA over the whole file (callers pass
    `pki.profile(PadesLevel.B_LTA)`: the PKI builds on PAdES, not the other way round)."""
    if profile.timestamper is None:
        raise PadesError(
            "Ré-horodatage impossible : aucune autorité d'horodatage configurée.",
            "Cannot re-timestamp: no time-stamping authority configured.",
        )
    writer = open_incremental(pdf_bytes)
    tokens = unprotected_timestamps(writer.prev)
    if not tokens:
        raise PadesError(
            "Rien à ré-horodater : le document ne porte ni signature horodatée ni horodatage.",
            "Nothing to re-timestamp: the document has no timestamped signature or timestamp.",
        )
    context = profile.revocation_context()
    stamper = PdfTimeStamper(
        profile.timestamper, field_name=f"{ARCHIVE_FIELD_PREFIX}{uuid.uuid4().hex[:12]}"
    )
    out = BytesIO()

    async def extend() -> None:
        try:
            paths = [await _tsa_path(token, context) for token in tokens]
            DocumentSecurityStore.supply_dss_in_writer(
                writer, sig_contents=None, paths=paths, validation_context=context
            )
            await stamper.async_timestamp_pdf(
                writer, DIGEST_ALGORITHM, context, output=out, dss_settings=TIMESTAMP_DSS
            )
        finally:
            await context.aclose()  # the HTTP sessions this context opened for fetching

    try:
        asyncio.run(extend())
    except TimestampRequestError as exc:
        raise TimestampUnavailable(
            f"L'autorité d'horodatage n'a pas répondu : {exc}.",
            f"The time-stamping authority did not answer: {exc}.",
        ) from exc
    return out.getvalue()


def unprotected_timestamps(reader: PdfFileReader) -> list[cms.SignedData]:
    """The timestamp tokens no later document timestamp covers: the newest document timestamp
    and the signature timestamps of the signatures made after it (all of them if none)."""
    doc_timestamps = reader.embedded_timestamp_signatures
    last = doc_timestamps[-1] if doc_timestamps else None
    after = last.signed_revision if last is not None else -1
    tokens = [last.signed_data] if last is not None else []
    for sig in reader.embedded_regular_signatures:
        if sig.signed_revision > after:
            tokens += _signature_timestamps(sig.signer_info)
    return tokens


def _signature_timestamps(signer_info: cms.SignerInfo) -> list[cms.SignedData]:
    attrs = signer_info["unsigned_attrs"]
    if not isinstance(attrs, cms.CMSAttributes):
        return []
    return [
        value["content"]
        for attr in attrs
        if attr["type"].native == "signature_time_stamp_token"
        for value in attr["values"]
    ]


async def _tsa_path(token: cms.SignedData, context: ValidationContext) -> ValidationPath:
    """Validate the token's TSA certificate now (hard-fail revocation), which also collects the
    revocation data the DSS needs; refuse if it no longer validates."""
    info = extract_certificate_info(token)
    validator = CertificateValidator(
        info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
    )
    try:
        return await validator.async_validate_usage(set(), {"time_stamping"})
    except (PathError, PathBuildingError, ValidationError) as exc:
        raise ArchiveChainBroken(
            "Ré-horodatage refusé : un horodatage à protéger ne se valide plus aujourd'hui "
            f"(certificat de l'autorité expiré, révoqué ou non reconnu) : {exc}",
            "Re-timestamping refused: a timestamp to protect no longer validates today "
            f"(authority certificate expired, revoked or untrusted): {exc}",
        ) from exc
