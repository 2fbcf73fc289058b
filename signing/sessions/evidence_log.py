"""The session's events, read back from the audit trail, as evidence-page data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import AuditEvent
from signing.evidence.identity import AUTH_METHOD_SMS
from signing.evidence.model import EvidenceData, EvidenceEvent, EvidenceSigner, mask_phone
from signing.sessions.access import SUBJECT_TYPE
from signing.sessions.models import SigningSession

ACTION_LABELS = {
    "signing.opened": "Session ouverte / session opened",
    "signing.invited": "Invitation envoyée / invitation sent",
    "signing.reminded": "Rappel envoyé / reminder sent",
    "signing.viewed": "Document consulté / document viewed",
    "signing.code_sent": "Code SMS envoyé / SMS code sent",
    "signing.code_verified": "Code SMS vérifié / SMS code verified",
    "signing.code_rejected": "Code SMS refusé / SMS code rejected",
    "signing.identity_checked": "Identité vérifiée / identity checked",
    "signing.signed": "Document signé / document signed",
    "signing.declined": "Signature refusée / signature declined",
    "signing.expired": "Session expirée / session expired",
    "signing.completed": "Toutes les signatures recueillies / all signatures collected",
}


def session_events(session: Session, reference: str) -> list[AuditEvent]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == SUBJECT_TYPE, AuditEvent.subject_id == reference)
            .order_by(AuditEvent.seq)
        )
    )


def evidence_for(session: Session, signing: SigningSession) -> EvidenceData:
    events = [
        EvidenceEvent(
            at=e.occurred_at,
            who=e.actor,
            action=ACTION_LABELS.get(e.action, e.action),
            ip=(e.data or {}).get("ip"),
            user_agent=(e.data or {}).get("user_agent"),
        )
        for e in session_events(session, signing.reference)
    ]
    return EvidenceData(
        reference=signing.reference,
        title=signing.title,
        document_sha256=signing.original_sha256,
        signers=[
            EvidenceSigner(
                s.position, s.full_name, s.email, mask_phone(s.phone_e164), s.role, AUTH_METHOD_SMS
            )
            for s in signing.signers
        ],
        events=events,
        heading_fr="Certificat de preuve de signature électronique",
        heading_en="Electronic signature evidence certificate",
    )
