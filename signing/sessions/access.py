"""Loading a session and signer for an action, with the checks every action shares."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.db import for_update
from signing.event_context import EventSubject
from signing.sessions.errors import (
    AlreadyDone,
    DocumentNotViewed,
    NotYourTurn,
    SessionClosed,
    SessionNotFound,
)
from signing.sessions.models import (
    Ordering,
    SessionStatus,
    SignerState,
    SigningSession,
    SigningSigner,
)

SUBJECT_TYPE = "signing_session"
FINISHED = (SignerState.SIGNED, SignerState.DECLINED, SignerState.EXPIRED)


def load_session(session: Session, reference: str, lock: bool = True) -> SigningSession:
    query = select(SigningSession).where(SigningSession.reference == reference)
    if lock and for_update(session):
        query = query.with_for_update()
    found = session.scalars(query).one_or_none()
    if found is None:
        raise SessionNotFound(reference)
    return found


def signer_of(signing: SigningSession, signer_id: int) -> SigningSigner:
    for signer in signing.signers:
        if signer.id == signer_id:
            return signer
    raise SessionNotFound(f"{signing.reference}/{signer_id}")


def require_open(signing: SigningSession) -> None:
    if signing.status is not SessionStatus.OPEN:
        raise SessionClosed(signing.status.value)


def require_turn(signing: SigningSession, signer: SigningSigner) -> None:
    """Open session, signer not finished, and (sequential) every earlier signer has signed."""
    require_open(signing)
    if signer.state in FINISHED:
        raise AlreadyDone(signer.state.value)
    if signing.ordering is Ordering.SEQUENTIAL and any(
        s.state is not SignerState.SIGNED for s in signing.signers if s.position < signer.position
    ):
        raise NotYourTurn()


def require_viewed(signer: SigningSigner) -> None:
    """No code and no signature before the signer opened the document in this session: the
    evidence page's account of what the signer saw rests on the `signing.viewed` event."""
    if signer.viewed_at is None:
        raise DocumentNotViewed()


def whose_turn(signing: SigningSession) -> list[SigningSigner]:
    """Signers who may act now: the next one (sequential) or every unfinished one (parallel)."""
    pending = [s for s in signing.signers if s.state not in FINISHED]
    if signing.ordering is Ordering.SEQUENTIAL:
        return pending[:1]
    return pending


def subject(signing: SigningSession, actor: str) -> EventSubject:
    return EventSubject(SUBJECT_TYPE, signing.reference, actor, signing.customer_id)
