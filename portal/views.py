"""What the pages and the API show, built from the scoped lookups of `portal.access`.

Pages (Jinja2) and the JSON API read the same view objects, so they cannot disagree; nothing
here decides access: every record comes through `portal.access`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from dossiers.blobs import BlobStore
from dossiers.circuits import Circuit, pinned_circuit
from dossiers.customers.models import Customer
from dossiers.errors import LiasseError
from dossiers.files import service
from dossiers.files.inbox import (
    InboxFilters,
    InboxRow,
    count_waiting,
    customer_name,
    inbox_facets,
    waiting_steps,
)
from dossiers.files.models import CustomerFile, FileDocument, FileStep
from dossiers.files.states import OPEN_FILE_STATES, StepState
from dossiers.i18n import tr
from portal import preview
from portal.access import Principal, inbox_scope, may_decide, visible_step
from portal.decisions import colleagues_for

SlaLevel = Literal["overdue", "soon", "ok", "none"]
SOON_SHARE = 0.25  # "soon due" in the last quarter of the step's SLA window


@dataclass(frozen=True)
class Sla:
    level: SlaLevel
    label: str


def sla_of(activated_at: datetime, due_at: datetime | None, now: datetime) -> Sla:
    """The SLA colour of a waiting step, always with words (colour is never the only cue)."""
    if due_at is None:
        return Sla("none", tr("sans échéance", "no due date"))
    if due_at <= now:
        return Sla("overdue", tr("en retard", "overdue"))
    window = (due_at - activated_at).total_seconds()
    left = (due_at - now).total_seconds()
    if window > 0 and left <= window * SOON_SHARE:
        return Sla("soon", tr("échéance proche", "due soon"))
    return Sla("ok", tr("dans les délais", "on time"))


def _labels(circuit: Circuit | None, step_id: str) -> str:
    if circuit is None:
        return step_id
    try:
        label = circuit.step(step_id).label
    except (KeyError, LiasseError, ValueError):
        return step_id
    return tr(label.fr, label.en)


def _circuit(session: Session, file: CustomerFile) -> Circuit | None:
    try:
        return service.circuit_of(session, file)
    except LiasseError:
        return None


# --- inbox -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxItem:
    row: InboxRow
    step_label: str
    sla: Sla


@dataclass(frozen=True)
class InboxView:
    items: list[InboxItem]
    circuits: list[str]
    steps: list[str]
    filters: InboxFilters
    total: int = 0
    page: int = 1
    page_size: int = 50

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def inbox_view(session: Session, principal: Principal, filters: InboxFilters, now: datetime,
               *, limit: int = 50, offset: int = 0, count: bool = False) -> InboxView:
    """One page of the inbox; `count` adds the total (the pages' navigation)."""
    scope = inbox_scope(principal)
    rows = waiting_steps(session, scope, filters, limit=limit, offset=offset)
    circuits, steps = inbox_facets(session, scope)
    cache: dict[tuple[str, int], Circuit | None] = {}
    items = []
    for row in rows:
        key = (row.circuit_name, row.circuit_version)
        if key not in cache:  # one circuit load per pinned version, not per file
            try:
                cache[key] = pinned_circuit(session, *key)
            except LiasseError:
                cache[key] = None
        items.append(InboxItem(row, _labels(cache[key], row.step_id),
                               sla_of(row.activated_at, row.due_at, now)))
    total = count_waiting(session, scope, filters) if count else len(items)
    return InboxView(items, circuits, steps, filters, total=total,
                     page=offset // max(limit, 1) + 1, page_size=limit)


# --- one step --------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryLine:
    step: FileStep
    label: str


@dataclass
class StepView:
    step: FileStep
    file: CustomerFile
    customer: Customer
    customer_label: str
    circuit_label: str
    step_label: str
    sla: Sla
    can_decide: bool
    outcomes: dict[str, str]
    history: list[HistoryLine]
    documents: list[FileDocument]
    preview: FileDocument | None
    file_open: bool = True
    notes: list[str] = field(default_factory=list)
    colleagues: list[str] = field(default_factory=list)
    preview_pages: int = 0


def step_view(session: Session, principal: Principal, step_id: int, now: datetime, *,
              blobs: BlobStore | None = None) -> StepView:
    """The step with its file, customer, history and documents; with `blobs`, how many pages
    of the previewed PDF can be shown as images (`portal.preview`)."""
    step = visible_step(session, principal, step_id)
    file = step.file
    customer = session.get(Customer, file.customer_id)
    assert customer is not None
    circuit = _circuit(session, file)
    outcomes: dict[str, str] = {}
    if circuit is not None:
        try:
            outcomes = dict(circuit.step(step.step_id).outcomes)
        except (KeyError, LiasseError, ValueError):
            outcomes = {}
    file_open = file.state in OPEN_FILE_STATES
    waiting = step.state == StepState.WAITING and file_open
    open_request = bool(step.requested_document) and step.request_received_at is None
    documents = list(file.documents)
    shown = _preview(documents, step)
    return StepView(
        step=step, file=file, customer=customer,
        customer_label=customer_name(customer.company_name, customer.first_name,
                                     customer.last_name, customer.number),
        circuit_label=tr(circuit.label.fr, circuit.label.en) if circuit else file.circuit_name,
        step_label=_labels(circuit, step.step_id),
        sla=sla_of(step.activated_at, step.due_at, now) if waiting else Sla("none", ""),
        can_decide=waiting and not open_request and may_decide(principal, step),
        outcomes=outcomes,
        history=[HistoryLine(s, _labels(circuit, s.step_id)) for s in file.steps],
        documents=documents,
        preview=shown,
        preview_pages=_pages(blobs, shown),
        file_open=file_open,
        notes=[tr(f"En attente du document « {step.requested_document} » du client.",
                  f"Waiting for the customer's document '{step.requested_document}'.")]
        if open_request else [],
        colleagues=colleagues_for(session, principal, step.role)
        if waiting and may_decide(principal, step) else [],
    )


def _pages(blobs: BlobStore | None, document: FileDocument | None) -> int:
    if blobs is None or document is None or not preview.available():
        return 0
    if not blobs.exists(document.sha256):
        return 0
    return min(preview.page_count(blobs.get(document.sha256)), preview.MAX_PREVIEW_PAGES)


def _preview(documents: list[FileDocument], step: FileStep) -> FileDocument | None:
    """The document the step is about: attached at this step, else of its kind, else the
    latest PDF of the file."""
    pdfs = [d for d in documents if d.media_type == "application/pdf"]
    for match in (lambda d: d.step_seq == step.seq, lambda d: d.kind == step.kind,
                  lambda d: True):
        found = [d for d in pdfs if match(d)]
        if found:
            return found[-1]
    return None
