"""The JSON API under `/api/`: the same services, views and access policy as the pages.

Authentication is the portal's session cookie (sign in on `/login`); an unsafe call sends the
session's CSRF token in the `X-CSRF-Token` header (`GET /api/me` gives it). Errors are
`{"error": {"type", "message"}}` with 401 (not signed in), 403, 404 (also: out of your scope),
409 (decided meanwhile), 422 (invalid input). The OpenAPI document is `/api/openapi.json`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dossiers.files.inbox import InboxFilters
from portal.access import Area, Principal, db_session, require
from portal.decisions import decide, delegate, request_document
from portal.params import RowId
from portal.views import InboxItem, StepView, inbox_view, step_view
from portal.web import state_of

router = APIRouter(prefix="/api", tags=["api"])


class ErrorBody(BaseModel):
    type: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


ERRORS = {status: {"model": ErrorOut} for status in (401, 403, 404, 409, 422)}


class MeOut(BaseModel):
    login: str
    full_name: str
    roles: list[str]
    csrf_token: str = Field(description="Send it as X-CSRF-Token on every unsafe call.")


class SlaOut(BaseModel):
    level: Literal["overdue", "soon", "ok", "none"]
    label: str


class InboxItemOut(BaseModel):
    step_id: int
    file_id: int
    circuit: str
    step: str
    step_label: str
    role: str | None
    assignee: str | None
    activated_at: datetime
    due_at: datetime | None
    sla: SlaOut
    customer_number: str
    customer_name: str
    waiting_for_document: str | None

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemOut:
        row = item.row
        waiting = (row.requested_document
                   if row.requested_document and row.request_received_at is None else None)
        return cls(step_id=row.step_row_id, file_id=row.file_id, circuit=row.circuit_name,
                   step=row.step_id, step_label=item.step_label, role=row.role,
                   assignee=row.assignee, activated_at=row.activated_at, due_at=row.due_at,
                   sla=SlaOut(level=item.sla.level, label=item.sla.label),
                   customer_number=row.customer_number, customer_name=row.customer_name,
                   waiting_for_document=waiting)


class DocumentOut(BaseModel):
    id: int
    kind: str
    name: str
    media_type: str
    size: int
    sha256: str
    url: str


class HistoryOut(BaseModel):
    step_id: int
    step: str
    label: str
    state: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class StepOut(BaseModel):
    step_id: int
    file_id: int
    file_state: str
    circuit: str
    step: str
    step_label: str
    state: str
    role: str | None
    assignee: str | None
    activated_at: datetime
    due_at: datetime | None
    sla: SlaOut
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    can_decide: bool
    outcomes: list[str]
    customer_number: str
    customer_name: str
    documents: list[DocumentOut]
    history: list[HistoryOut]

    @classmethod
    def of(cls, view: StepView) -> StepOut:
        step, file = view.step, view.file
        return cls(
            step_id=step.id, file_id=file.id, file_state=file.state.value,
            circuit=file.circuit_name, step=step.step_id, step_label=view.step_label,
            state=step.state.value, role=step.role, assignee=step.assignee,
            activated_at=step.activated_at, due_at=step.due_at,
            sla=SlaOut(level=view.sla.level, label=view.sla.label),
            decided_by=step.decided_by, decided_at=step.decided_at, reason=step.reason,
            can_decide=view.can_decide, outcomes=sorted(view.outcomes),
            customer_number=view.customer.number, customer_name=view.customer_label,
            documents=[DocumentOut(id=d.id, kind=d.kind, name=d.original_name,
                                   media_type=d.media_type, size=d.size, sha256=d.sha256,
                                   url=f"/files/{file.id}/documents/{d.id}")
                       for d in view.documents],
            history=[HistoryOut(step_id=h.step.id, step=h.step.step_id, label=h.label,
                                state=h.step.state.value, decided_by=h.step.decided_by,
                                decided_at=h.step.decided_at, reason=h.step.reason)
                     for h in view.history],
        )


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=2000,
                        description="Mandatory for a rejection; an optional comment otherwise.")
    outcome: str | None = Field(default=None, max_length=50,
                                description="A named outcome of the step (disputes).")


class DecisionOut(BaseModel):
    decision: Literal["approve", "reject"]
    resume: str = Field(description="resumed, swept, later or no_orchestrator: what happened "
                                    "to the file's flow run.")
    step: StepOut


@router.get("/me", response_model=MeOut, responses=ERRORS)
def me(principal: Principal = Depends(require(Area.STAFF))) -> MeOut:
    return MeOut(login=principal.login, full_name=principal.user.full_name,
                 roles=sorted(principal.roles), csrf_token=principal.csrf)


@router.get("/inbox", response_model=list[InboxItemOut], responses=ERRORS)
def api_inbox(request: Request,
              circuit: str | None = Query(None, max_length=50),
              step: str | None = Query(None, max_length=50),
              customer: str | None = Query(None, max_length=100),
              limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9),
              principal: Principal = Depends(require(Area.STAFF)),
              session: Session = Depends(db_session)) -> list[InboxItemOut]:
    """The steps waiting for me: my roles' and those delegated or escalated to me."""
    filters = InboxFilters(circuit=circuit or None, step_id=step or None,
                           customer=(customer or "").strip() or None)
    view = inbox_view(session, principal, filters, state_of(request).now(), limit=limit,
                      offset=offset)
    return [InboxItemOut.of(item) for item in view.items]


@router.get("/steps/{step_id}", response_model=StepOut, responses=ERRORS)
def api_step(request: Request, step_id: RowId,
             principal: Principal = Depends(require(Area.STAFF)),
             session: Session = Depends(db_session)) -> StepOut:
    return StepOut.of(step_view(session, principal, step_id, state_of(request).now()))


@router.post("/steps/{step_id}/decision", response_model=DecisionOut, responses=ERRORS)
def api_decide(request: Request, step_id: RowId, body: DecisionIn,
               principal: Principal = Depends(require(Area.STAFF))) -> DecisionOut:
    """Approve, or reject with a reason; then the file's flow run is woken (best effort)."""
    state = state_of(request)
    result = decide(state.services, state.resume, principal, step_id, body.decision,
                    reason=body.reason, outcome=body.outcome)
    with state.services.factory() as session:
        view = step_view(session, principal, step_id, state.now())
        return DecisionOut(decision=body.decision, resume=result.resume, step=StepOut.of(view))


class DelegateIn(BaseModel):
    to: str = Field(min_length=1, max_length=100, description="The colleague's login.")
    reason: str = Field(default="", max_length=2000)


class RequestDocumentIn(BaseModel):
    document: str = Field(min_length=1, max_length=200,
                          description="What the customer must send.")
    due: date = Field(description="Due date (end of that day, UTC).")
    reason: str = Field(default="", max_length=2000)


def _step_out(request: Request, principal: Principal, step_id: int) -> StepOut:
    state = state_of(request)
    with state.services.factory() as session:
        return StepOut.of(step_view(session, principal, step_id, state.now()))


@router.post("/steps/{step_id}/delegate", response_model=StepOut, responses=ERRORS)
def api_delegate(request: Request, step_id: RowId, body: DelegateIn,
                 principal: Principal = Depends(require(Area.STAFF))) -> StepOut:
    """Hand a waiting step to a colleague."""
    delegate(state_of(request).services, principal, step_id, body.to, reason=body.reason)
    return _step_out(request, principal, step_id)


@router.post("/steps/{step_id}/request-document", response_model=StepOut, responses=ERRORS)
def api_request_document(request: Request, step_id: RowId, body: RequestDocumentIn,
                         principal: Principal = Depends(require(Area.STAFF))) -> StepOut:
    """Ask the customer for a missing document by a due date; the file waits for it."""
    request_document(state_of(request).services, principal, step_id, body.document,
                     body.due.isoformat(), reason=body.reason)
    return _step_out(request, principal, step_id)
