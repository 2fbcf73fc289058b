"""The moment of signing: check the code, sign with a one-time certificate, maybe complete.

After a correct code the signing CA issues a certificate for this signer, valid for a short
while; its key exists only in memory for this one signature and is dropped right after (Python
cannot promise the memory is wiped, but the key is never stored, logged or reused). When the last
signer has signed, the company seal is applied last and a sealed evidence certificate listing
every event is produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from signing.event_context import RequestContext, record_event
from signing.evidence.page import render_evidence_pdf
from signing.otp import service as otp
from signing.otp.errors import DocumentChanged
from signing.pades.signer_signature import sign_field
from signing.pki.signing_ca import SignerIdentity
from signing.sessions import access
from signing.sessions.deps import SessionOutcome, SigningDeps
from signing.sessions.evidence_log import evidence_for
from signing.sessions.models import SessionStatus, SignerState, SigningSession, SigningSigner
from signing.sessions.prepare import sha256_hex


@dataclass(frozen=True)
class SignedOutcome:
    reference: str
    signer_position: int
    completed: bool
    document_sha256: str
    outcome: SessionOutcome | None = None
    unsent_mail: tuple[str, ...] = ()  # recipients a mail outage held back (retried later)


def sign_and_maybe_complete(
    s: Session,
    deps: SigningDeps,
    signing: SigningSession,
    signer: SigningSigner,
    code: str,
    request: RequestContext,
    shown_sha256: str | None,
) -> SignedOutcome | otp.CheckResult:
    if shown_sha256 is not None and shown_sha256 != signing.current_sha256:
        raise DocumentChanged()
    who = access.subject(signing, signer.email)
    check = otp.check_code(
        s,
        signer.otp_ref,
        signing.current_sha256,
        code,
        key=deps.secret_key,
        subject=who,
        request=request,
        policy=deps.otp_policy,
        clock=deps.clock,
    )
    if not check.accepted:
        return check
    now = deps.clock()
    serial = _apply_signature(deps, signing, signer, now)
    signer.state, signer.signed_at, signer.certificate_serial = SignerState.SIGNED, now, serial
    record_event(
        s,
        "signing.signed",
        who,
        request,
        {
            "signer": signer.position,
            "certificate_serial": serial,
            "document_sha256": signing.current_sha256,
        },
        at=now,
    )
    if any(sg.state is not SignerState.SIGNED for sg in signing.signers):
        return SignedOutcome(signing.reference, signer.position, False, signing.current_sha256)
    outcome = _complete(s, deps, signing, request, now)
    return SignedOutcome(signing.reference, signer.position, True, signing.current_sha256, outcome)


def _apply_signature(
    deps: SigningDeps, signing: SigningSession, signer: SigningSigner, now: datetime
) -> str:
    identity = SignerIdentity(signer.full_name, signer.email, signer.phone_e164)
    credentials = deps.pki.signing_ca.issue_one_time(identity, now)
    serial = format(credentials.certificate.serial_number, "x")
    try:
        signed = sign_field(
            signing.pdf,
            signer.field_name,
            credentials.signer,
            deps.pki.profile(),
            signer_name=signer.full_name,
            contact=signer.email,
            reason=f"Signature de « {signing.title} »",
        )
    finally:
        del credentials  # the one-time key is never kept beyond this signature
    signing.pdf = signed
    signing.current_sha256 = sha256_hex(signed)
    return serial


def _complete(
    s: Session, deps: SigningDeps, signing: SigningSession, request: RequestContext, now: datetime
) -> SessionOutcome:
    seal = deps.pki.company_seal()
    signing.pdf = seal.seal(signing.pdf, reason=f"Cachet final de « {signing.title} »")
    signing.current_sha256 = sha256_hex(signing.pdf)
    signing.status, signing.completed_at = SessionStatus.COMPLETED, now
    record_event(
        s,
        "signing.completed",
        access.subject(signing, "system"),
        request,
        {"final_sha256": signing.current_sha256},
        at=now,
    )
    evidence = render_evidence_pdf(evidence_for(s, signing))
    signing.evidence_pdf = seal.seal(evidence, reason="Certificat de preuve")
    return SessionOutcome(
        signing.reference,
        signing.subject_ref,
        signing.customer_id,
        "completed",
        signed_pdf=signing.pdf,
        evidence_pdf=signing.evidence_pdf,
    )
