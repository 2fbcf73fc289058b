"""Staff pages: the validator inbox, the step page and its decision, documents, customers."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from connectors.mail.alerts import STEP_LINK_PATH, STEP_LINK_PURPOSE
from dossiers.errors import ConflictError, IllegalTransition, NotFound, PermissionDenied
from dossiers.errors import ValidationError as DomainValidationError
from dossiers.files import queries
from dossiers.files.inbox import InboxFilters
from dossiers.files.models import FileDocument
from dossiers.i18n import tr
from dossiers.signed_links import read_token
from dossiers.staff.models import StaffUser
from portal import preview
from portal.access import (
    Area,
    Principal,
    db_session,
    require,
    step_not_found,
    visible_customer,
    visible_document,
    visible_step,
)
from portal.decisions import decide, delegate, request_document
from portal.params import CustomerNumber, RowId
from portal.views import inbox_view, step_view
from portal.web import page, state_of

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(principal: Principal = Depends(require(Area.STAFF))) -> Response:
    return RedirectResponse("/inbox", status_code=303)


def inbox_filters(circuit: str | None = Query(None, max_length=50),
                  step: str | None = Query(None, max_length=50),
                  customer: str | None = Query(None, max_length=100)) -> InboxFilters:
    return InboxFilters(circuit=circuit or None, step_id=step or None,
                        customer=(customer or "").strip() or None)


INBOX_PAGE = 50


@router.get("/inbox")
def inbox(request: Request, filters: InboxFilters = Depends(inbox_filters),
          number: int = Query(1, alias="page", ge=1, le=100_000),
          principal: Principal = Depends(require(Area.STAFF)),
          session: Session = Depends(db_session)) -> Response:
    view = inbox_view(session, principal, filters, state_of(request).now(), limit=INBOX_PAGE,
                      offset=(number - 1) * INBOX_PAGE, count=True)
    query = {k: v for k, v in (("circuit", filters.circuit), ("step", filters.step_id),
                               ("customer", filters.customer)) if v}
    links = {
        "previous": f"/inbox?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
        "next": (f"/inbox?{urlencode({**query, 'page': number + 1})}"
                 if number < view.pages else None),
    }
    return page(request, "inbox.html", {"view": view, "links": links},
                title=tr("Mes étapes", "My steps"))


@router.get(STEP_LINK_PATH)
def open_step_link(request: Request, token: str = Query(..., max_length=2000),
                   principal: Principal = Depends(require(Area.STAFF)),
                   session: Session = Depends(db_session)) -> Response:
    """The link of an alert e-mail: after sign-in (`next=` kept), open the step it names."""
    state = state_of(request)
    payload = read_token(state.services.settings.resolved_secret_key(), STEP_LINK_PURPOSE,
                         token, state.link_max_age_seconds)
    raw_step, raw_file = str(payload.get("step_id", "")), str(payload.get("file_id", ""))
    if not raw_step.isdigit():
        raise step_not_found(raw_step)
    step = visible_step(session, principal, int(raw_step))
    if str(step.file_id) != raw_file:
        raise step_not_found(raw_step)
    return RedirectResponse(f"/steps/{step.id}", status_code=303)


def _step_page(request: Request, principal: Principal, step_id: int, *, status_code: int = 200,
               error: str | None = None, field_error: str | None = None, reason: str = "",
               done: str | None = None, form: str = "decision") -> Response:
    state = state_of(request)
    with state.services.factory() as session:
        view = step_view(session, principal, step_id, state.now(), blobs=state.services.blobs)
        return page(request, "step.html",
                    {"view": view, "error": error, "field_error": field_error,
                     "reason": reason, "done": done, "form": form},
                    status_code=status_code, title=view.step_label)


@router.get("/steps/{step_id}")
def step_page(request: Request, step_id: RowId,
              principal: Principal = Depends(require(Area.STAFF))) -> Response:
    return _step_page(request, principal, step_id)


def _act(request: Request, principal: Principal, step_id: int, act: Callable[[], object],
         done: str, *, reason: str = "", form: str = "decision") -> Response:
    """Run one action on a step; a refusal shows the step as it is now, with why."""
    try:
        act()
    except DomainValidationError as exc:
        return _step_page(request, principal, step_id, status_code=422, error=exc.message,
                          field_error=exc.message, reason=reason, form=form)
    except (ConflictError, IllegalTransition) as exc:
        return _step_page(request, principal, step_id, status_code=409, error=exc.message)
    except PermissionDenied as exc:
        return _step_page(request, principal, step_id, status_code=403, error=exc.message)
    return RedirectResponse(f"/steps/{step_id}/done?{urlencode({'done': done})}",
                            status_code=303)


@router.post("/steps/{step_id}/decision")
def step_decision(request: Request, step_id: RowId, decision: str = Form(""),
                  reason: str = Form("", max_length=2000), outcome: str = Form(""),
                  principal: Principal = Depends(require(Area.STAFF))) -> Response:
    """Approve, or reject with a reason."""
    state = state_of(request)
    if decision not in ("approve", "reject"):
        return _step_page(request, principal, step_id, status_code=422, reason=reason,
                          error=tr("Choisissez « Approuver » ou « Rejeter ».",
                                   "Choose 'Approve' or 'Reject'."))
    return _act(request, principal, step_id,
                lambda: decide(state.services, state.resume, principal, step_id,
                               decision,  # type: ignore[arg-type]
                               reason=reason, outcome=outcome or None),
                decision, reason=reason)


@router.post("/steps/{step_id}/delegate")
def step_delegate(request: Request, step_id: RowId, to: str = Form("", max_length=100),
                  reason: str = Form("", max_length=2000),
                  principal: Principal = Depends(require(Area.STAFF))) -> Response:
    """Hand the step to a colleague."""
    services = state_of(request).services
    return _act(request, principal, step_id,
                lambda: delegate(services, principal, step_id, to, reason=reason),
                "delegate", form="delegate")


@router.post("/steps/{step_id}/request-document")
def step_request_document(request: Request, step_id: RowId,
                          document: str = Form("", max_length=200),
                          due: str = Form("", max_length=40),
                          reason: str = Form("", max_length=2000),
                          principal: Principal = Depends(require(Area.STAFF))) -> Response:
    """Ask the customer for a missing document by a due date."""
    services = state_of(request).services
    return _act(request, principal, step_id,
                lambda: request_document(services, principal, step_id, document, due,
                                         reason=reason),
                "request", form="request")


DONE_MESSAGES = {
    "approve": ("Étape approuvée : le dossier passe à la suite.",
                "Step approved: the file moves on."),
    "reject": ("Étape rejetée : le dossier suit le circuit.",
               "Step rejected: the file follows its circuit."),
    "delegate": ("Étape déléguée.", "Step delegated."),
    "request": ("Document demandé au client : le dossier l'attend.",
                "Document requested from the customer: the file waits for it."),
}


@router.get("/steps/{step_id}/done")
def step_done(request: Request, step_id: RowId, done: str = Query("approve", max_length=20),
              principal: Principal = Depends(require(Area.STAFF))) -> Response:
    fr, en = DONE_MESSAGES.get(done, DONE_MESSAGES["approve"])
    return _step_page(request, principal, step_id, done=tr(fr, en))


def _document_bytes(request: Request, row: FileDocument) -> bytes:
    blobs = state_of(request).services.blobs
    if not blobs.exists(row.sha256):
        raise NotFound(
            f"La pièce {row.id} n'est plus en attente d'archivage : consultez-la dans l'archive.",
            f"Document {row.id} is no longer waiting for the archive: read it in the archive.")
    return blobs.get(row.sha256)


@router.get("/files/{file_id}/documents/{document_id}")
def document(request: Request, file_id: RowId, document_id: RowId,
             principal: Principal = Depends(require(Area.STAFF)),
             session: Session = Depends(db_session)) -> Response:
    """A file's document, inline (the step page frames it; the browser's viewer shows it)."""
    row = visible_document(session, principal, file_id, document_id)
    name = row.original_name.replace('"', "").replace("\\", "")
    return Response(_document_bytes(request, row), media_type=row.media_type,
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/files/{file_id}/documents/{document_id}/pages/{page}")
def document_page(request: Request, file_id: RowId, document_id: RowId,
                  page: int = Path(ge=1, le=preview.MAX_PREVIEW_PAGES),
                  principal: Principal = Depends(require(Area.STAFF)),
                  session: Session = Depends(db_session)) -> Response:
    """One page of a PDF document as a PNG image (the in-page preview)."""
    row = visible_document(session, principal, file_id, document_id)
    if row.media_type != "application/pdf":
        raise NotFound("Pas d'aperçu pour ce type de pièce.", "No preview for this kind of file.")
    return Response(preview.render_page(_document_bytes(request, row), page),
                    media_type="image/png")


@router.get("/customers/{number}")
def customer_page(request: Request, number: CustomerNumber,
                  principal: Principal = Depends(require(Area.CUSTOMERS)),
                  session: Session = Depends(db_session)) -> Response:
    """A customer's record (general tab; the other tabs come with the customer-records work)."""
    customer = visible_customer(session, principal, number)
    rep = session.get(StaffUser, customer.sales_rep_id)
    files = queries.files_of_customer(session, customer.id)
    return page(request, "customer.html", {"customer": customer, "rep": rep, "files": files},
                title=customer.display_name)
