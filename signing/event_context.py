"""Who did what from where: the context every signing event is recorded with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dossiers.audit import record


@dataclass(frozen=True)
class RequestContext:
    """The HTTP (or CLI) request an action came from: IP address and user agent."""

    ip: str | None = None
    user_agent: str | None = None


CLI_CONTEXT = RequestContext(ip="127.0.0.1", user_agent="liasse-cli")


@dataclass(frozen=True)
class EventSubject:
    """What an event is about in the audit trail (a signer of a session)."""

    subject_type: str
    subject_id: str
    actor: str
    customer_id: int | None = None


def record_event(
    session: Session,
    action: str,
    subject: EventSubject,
    request: RequestContext,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    record(
        session,
        action,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        actor=subject.actor,
        customer_id=subject.customer_id,
        data={"ip": request.ip, "user_agent": request.user_agent, **(data or {})},
        at=at,
    )
