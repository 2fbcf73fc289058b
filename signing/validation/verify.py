"""Verify every signature of a PDF with pyHanko: integrity, trust chain, timestamp, coverage.

Revocation data embedded in the document security store (B-LT/B-LTA) is fed to the validation
context, so a long-term signature verifies offline. Fetching is off by default: verification must
work years later without the CA's servers. Anything pyHanko cannot even parse is reported as a
problem rather than an exception, so `liasse verify` always prints a verdict.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from dossiers.i18n import tr
from signing.evidence.marker import find_evidence_page
from signing.validation.report import SignatureReport, VerificationReport

SEAL_FIELD_PREFIX = "LiasseSeal-"


def verify_pdf(
    pdf_bytes: bytes, trust_roots: list[asn1_x509.Certificate], *, allow_fetching: bool = False
) -> VerificationReport:
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
        dss, revinfo = _read_dss(reader)
    except Exception as exc:
        return VerificationReport(
            [], None, [tr(f"PDF illisible : {exc}", f"Unreadable PDF: {exc}")]
        )
    context_kwargs: dict[str, Any] = {"trust_roots": trust_roots, "allow_fetching": allow_fetching}
    reports = [_check(sig, dss, context_kwargs, revinfo) for sig in embedded]
    problems = (
        [] if reports else [tr("Aucune signature dans ce fichier.", "No signature in this file.")]
    )
    return VerificationReport(reports, find_evidence_page(pdf_bytes), problems)


def _read_dss(reader: PdfFileReader) -> tuple[DocumentSecurityStore | None, bool]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None, False
    return dss, bool(dss.crls or dss.ocsps)


def _context(dss: DocumentSecurityStore | None, kwargs: dict[str, Any]):
    from pyhanko_certvalidator import ValidationContext

    return dss.as_validation_context(kwargs) if dss else ValidationContext(**kwargs)


def _coverage(level: SignatureCoverageLevel | None) -> str:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire-file"
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire-revision"
    return "partial"


def _check(
    sig: EmbeddedPdfSignature,
    dss: DocumentSecurityStore | None,
    kwargs: dict[str, Any],
    revinfo: bool,
) -> SignatureReport:
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    try:
        if is_timestamp:
            status: Any = validate_pdf_timestamp(sig, _context(dss, kwargs))
        else:
            status = validate_pdf_signature(sig, _context(dss, kwargs), _context(dss, kwargs))
    except Exception as exc:
        return _broken(sig, is_timestamp, f"{type(exc).__name__}: {exc}")
    kind = (
        "document-timestamp"
        if is_timestamp
        else ("seal" if (sig.field_name or "").startswith(SEAL_FIELD_PREFIX) else "signature")
    )
    ts = status if is_timestamp else status.timestamp_validity
    problems = []
    if not _padding_is_clean(sig):
        problems.append(tr("zone de signature altérée", "signature container padding altered"))
    if not status.intact:
        problems.append(tr("empreinte modifiée", "digest mismatch"))
    if not status.valid:
        problems.append(tr("signature cryptographique invalide", "invalid cryptographic signature"))
    if not status.trusted:
        problems.append(tr("chaîne non reconnue", "untrusted chain"))
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        problems.append(tr("horodatage invalide", "invalid timestamp"))
    if not _bottom_line(status) and not problems:
        problems.append(
            tr("modifications non autorisées après signature", "disallowed changes after signing")
        )
    return SignatureReport(
        field_name=sig.field_name or "?",
        kind=kind,
        signer=_signer_name(status.signing_cert),
        signing_time=None if is_timestamp else status.signer_reported_dt,
        timestamp=ts.timestamp if ts is not None else None,
        timestamp_valid=(ts.intact and ts.valid and ts.trusted) if ts is not None else None,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revocation_info=revinfo,
        coverage=_coverage(status.coverage),
        modifications=str(getattr(status.modification_level, "name", "?")),
        ok=_bottom_line(status) and not problems,
        problems=tuple(problems),
    )


def _padding_is_clean(sig: EmbeddedPdfSignature) -> bool:
    """The only bytes no digest covers are the zero padding after the CMS blob in /Contents.

    pyHanko reads the DER object and ignores what follows, so a flipped padding byte would go
    unnoticed; Liasse requires the padding to be untouched zeros, which makes *every* byte of a
    Liasse-signed file matter.
    """
    raw = bytes(sig.sig_object["/Contents"])
    if len(raw) < 2 or raw[0] != 0x30:
        return False
    if raw[1] < 0x80:
        end = 2 + raw[1]
    else:
        size = raw[1] & 0x7F
        end = 2 + size + int.from_bytes(raw[2 : 2 + size], "big")
    return not any(raw[end:])


def _bottom_line(status: Any) -> bool:
    """pyHanko's overall verdict; document timestamps have no `bottom_line`, so rebuild it."""
    if hasattr(status, "bottom_line"):
        return bool(status.bottom_line)
    return bool(status.intact and status.valid and status.trusted and status.docmdp_ok is not False)


def _signer_name(cert: asn1_x509.Certificate) -> str:
    """'Claire Dubois <claire@example.com>' rather than the whole distinguished name."""
    subject = cert.subject.native
    common_name = subject.get("common_name") or cert.subject.human_friendly
    email = subject.get("email_address")
    return f"{common_name} <{email}>" if email else str(common_name)


def _broken(sig: EmbeddedPdfSignature, is_timestamp: bool, reason: str) -> SignatureReport:
    return SignatureReport(
        field_name=sig.field_name or "?",
        kind="document-timestamp" if is_timestamp else "signature",
        signer="?",
        signing_time=None,
        timestamp=None,
        timestamp_valid=None,
        intact=False,
        valid=False,
        trusted=False,
        revocation_info=False,
        coverage="partial",
        modifications="?",
        ok=False,
        problems=(reason,),
    )
