"""Verify every signature of a PDF with pyHanko: integrity, trust chain, timestamp, coverage.

Each signature is judged at the time its signature timestamp proves, each timestamp at the time
the next document timestamp proves (`signing.validation.point_in_time`), with the revocation data
embedded in the document security store (B-LT/B-LTA): a one-time certificate that expired an hour
after signing still validates ten years later, offline. Fetching is off by default: verification
must work years later without the CA's servers. Anything pyHanko cannot even parse is reported as
a problem rather than an exception, and pyHanko's logged tracebacks are kept out of the terminal
(`signing.validation.quiet`), so `liasse verify` always prints a verdict and only that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.validation import (
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext

from dossiers.i18n import tr
from signing.evidence.marker import find_evidence_page
from signing.validation.point_in_time import (
    EmbeddedRevocation,
    Judge,
    signature_timestamp,
    token_time,
)
from signing.validation.quiet import captured_validation_logs
from signing.validation.report import SignatureReport, VerificationReport

SEAL_FIELD_PREFIX = "LiasseSeal-"


def verify_pdf(
    pdf_bytes: bytes,
    trust_roots: list[asn1_x509.Certificate],
    *,
    allow_fetching: bool = False,
    now: datetime | None = None,
) -> VerificationReport:
    """Judge every signature, seal and document timestamp of `pdf_bytes`.

    `now` is the present moment of this verification (default: the system clock); only the
    newest timestamp and signatures without a timestamp are judged at it. Tests pass a moment
    years ahead instead of waiting.
    """
    checked_at = now or datetime.now(UTC)
    with captured_validation_logs() as log:
        try:
            reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
            embedded = list(reader.embedded_signatures)
            revocation = EmbeddedRevocation.read(reader)
        except Exception as exc:
            return VerificationReport(
                [],
                None,
                [tr(f"PDF illisible : {exc}", f"Unreadable PDF: {exc}")],
                checked_at,
                tuple(log),
            )
        judge = Judge(trust_roots, revocation, checked_at, allow_fetching=allow_fetching)
        reports = _check_all(embedded, judge)
        evidence_page = find_evidence_page(pdf_bytes)
    problems = (
        [] if reports else [tr("Aucune signature dans ce fichier.", "No signature in this file.")]
    )
    return VerificationReport(reports, evidence_page, problems, checked_at, tuple(log))


def _check_all(embedded: list[EmbeddedPdfSignature], judge: Judge) -> list[SignatureReport]:
    """Newest first, so each signature or timestamp knows the valid document timestamps after
    it; the earliest of them proves the time at which its own timestamp is judged."""
    reports: dict[int, SignatureReport] = {}
    proven: list[tuple[int, datetime]] = []  # (revision, time) of valid document timestamps
    for index in reversed(range(len(embedded))):
        sig = embedded[index]
        revision = _revision(sig, index)
        later = [(rev, moment) for rev, moment in proven if rev > revision]
        proof = min(later)[1] if later else None
        reports[index] = report = _check(sig, judge, proof)
        if report.kind == "document-timestamp" and report.ok and report.timestamp is not None:
            proven.append((revision, report.timestamp))
    return [reports[index] for index in range(len(embedded))]


def _revision(sig: EmbeddedPdfSignature, index: int) -> int:
    try:
        return sig.signed_revision
    except Exception:  # a mangled file: its order in the document is the best we know
        return index


def _timestamp_context(
    token: cms.SignedData, judge: Judge, proof: datetime | None
) -> tuple[ValidationContext, datetime, str, str | None]:
    """Where a timestamp token is judged: context, moment, basis, and a problem found now."""
    if proof is not None:
        return judge.at(proof), proof, "document-timestamp", None
    if judge.allow_fetching:
        return judge.now_context(), judge.now, "now", None
    own = token_time(token)
    expired = judge.tsa_valid_now(token)
    problem = None
    if expired is not None:
        problem = tr(
            "horodatage le plus récent : certificat de l'autorité expiré ou non reconnu "
            "aujourd'hui (le document n'a pas été ré-horodaté à temps)",
            "newest timestamp: the authority's certificate has expired or is untrusted today "
            "(the document was not re-timestamped in time)",
        )
    return judge.at(own), own, "own-timestamp", problem


def _coverage(level: SignatureCoverageLevel | None) -> str:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire-file"
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire-revision"
    return "partial"


def _check(sig: EmbeddedPdfSignature, judge: Judge, proof: datetime | None) -> SignatureReport:
    """One signature, seal or document timestamp; `proof` is the time proven by the earliest
    valid document timestamp after it (None: it is under the newest timestamp)."""
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    ts_problem: str | None = None
    ts_at: datetime | None = None
    ts_basis: str | None = None
    try:
        if is_timestamp:
            context, at, basis, ts_problem = _timestamp_context(sig.signed_data, judge, proof)
            status: Any = validate_pdf_timestamp(sig, context)
            ts_at, ts_basis = at, basis
        else:
            token = signature_timestamp(sig)
            if token is None:  # B-B: nothing proves an earlier time than now
                at, basis = judge.now, "now"
                signer_context = ts_context = judge.now_context()
            else:
                at, basis = token_time(token), "signature-timestamp"
                signer_context = judge.at(at)
                ts_context, ts_at, ts_basis, ts_problem = _timestamp_context(token, judge, proof)
            status = validate_pdf_signature(sig, signer_context, ts_context)
    except Exception as exc:
        return _broken(sig, is_timestamp, exc)
    kind = (
        "document-timestamp"
        if is_timestamp
        else ("seal" if (sig.field_name or "").startswith(SEAL_FIELD_PREFIX) else "signature")
    )
    ts = status if is_timestamp else status.timestamp_validity
    ts_valid = ts is not None and ts.intact and ts.valid and ts.trusted and ts_problem is None
    problems = []
    if not _padding_is_clean(sig):
        problems.append(tr("zone de signature altérée", "signature container padding altered"))
    if not status.intact:
        # pyHanko stops there (no chain is built for a broken digest): say *that*, not "untrusted"
        problems.append(
            tr(
                "intégrité rompue : le contenu signé a été modifié",
                "integrity broken: the signed content was modified",
            )
        )
    elif not status.valid:
        problems.append(tr("signature cryptographique invalide", "invalid cryptographic signature"))
    elif not status.trusted:
        problems.append(_trust_problem(status, at))
    if status.intact and ts is not None and not (ts.intact and ts.valid and ts.trusted):
        problems.append(tr("horodatage invalide", "invalid timestamp"))
    if ts_problem:
        problems.append(ts_problem)
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
        timestamp_valid=ts_valid if ts is not None else None,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revocation_info=judge.revocation.covers(status.signing_cert),
        coverage=_coverage(status.coverage),
        modifications=str(getattr(status.modification_level, "name", "?")),
        ok=_bottom_line(status) and not problems,
        problems=tuple(problems),
        validated_at=at,
        time_basis=basis,
        timestamp_validated_at=ts_at,
        timestamp_time_basis=ts_basis,
    )


_REVOKED = {
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
}
_OUT_OF_VALIDITY = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESFailure.NOT_YET_VALID,
}
_REVOCATION_UNKNOWN = {
    AdESIndeterminate.TRY_LATER,
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
}


def _trust_problem(status: Any, at: datetime) -> str:
    """Why the certificate was not accepted at `at`, as precisely as pyHanko says."""
    indication = getattr(status, "trust_problem_indic", None)
    when = at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if indication in _REVOKED:
        return tr("certificat révoqué", "certificate revoked")
    if indication in _OUT_OF_VALIDITY:
        return tr(
            f"certificat hors de sa période de validité au {when}",
            f"certificate outside its validity period at {when}",
        )
    if indication in _REVOCATION_UNKNOWN:
        return tr(
            f"révocation non vérifiable au {when} (données de révocation absentes ou périmées)",
            f"revocation status unknown at {when} (revocation data missing or stale)",
        )
    return tr("chaîne non reconnue", "untrusted chain")


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


def _broken(sig: EmbeddedPdfSignature, is_timestamp: bool, exc: Exception) -> SignatureReport:
    """pyHanko could not even evaluate it: the signature container or what it covers is
    damaged, which is an integrity failure, not a trust one."""
    reason = tr(
        f"intégrité rompue : signature illisible ({type(exc).__name__})",
        f"integrity broken: unreadable signature ({type(exc).__name__})",
    )
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
