"""The real `FileEngine` and `SlaSource`: the customer-file flow over `dossiers.files`.

`next_action` maps the domain's plan to the flow's words, with these step-run ids (the flow
keys its suspensions and alerts by them, so each new wait gets a new id):
- `"<row>"`: an automatic step to run, or a human step to decide (a new row per visit);
- `"<row>-signing"`: the signature step's session is open; the flow waits; the signing
  service's hook `on_signing_outcome` resumes the run, which runs the step again to finish it;
- `"<row>-request-<ts>"`: a human step asked the customer for a document.
`run_automatic` claims the step, runs its handler from `flows.actions`, records it done (or
failed: a business failure at once, a crash once Prefect's retries are spent), and is a no-op on
a step already done. `apply_decision` records a human decision, a no-op when the same person
already recorded the same decision (the portal records first, then resumes the run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from application.errors import ActionFailed
from application.services import Services, build_services
from dossiers.customers.models import Customer
from dossiers.db import transaction, utcnow
from dossiers.errors import ConflictError, LiasseError, NotFound, ValidationError
from dossiers.files import queries, service
from dossiers.files.state_machine import AwaitCustomer, AwaitHuman, Finished
from dossiers.files.states import DecisionKind, StepState
from dossiers.i18n import tr
from dossiers.staff.service import get_staff, users_with_role
from flows.actions import StepRef, dispute_steps, handler_for, sign
from flows.file_engine_protocol import (
    AlertContext,
    Automatic,
    Done,
    NextAction,
    StepDecision,
    WaitCustomer,
    WaitHuman,
)
from signing.sessions.deps import SessionOutcome

logger = logging.getLogger(__name__)
SIGNING_ACTOR = "system:signing"


def parse_file_id(file_id: str | int) -> int:
    try:
        return int(file_id)
    except (TypeError, ValueError):
        raise NotFound(f"Dossier {file_id} introuvable.", f"File {file_id} not found.") from None


def parse_step_run(step_run_id: str) -> tuple[int, str]:
    """`"12"` -> (12, ""), `"12-signing"` -> (12, "signing"), `"12-request-9"` -> (12, "request")
    """
    head, _, tail = step_run_id.partition("-")
    if not head.isdigit():
        raise ValidationError(f"Identifiant d'étape « {step_run_id} » invalide.",
                              f"Invalid step run id '{step_run_id}'.")
    return int(head), tail.split("-")[0]


def record_decision(session: Session, file_id: int, step_run_id: str, outcome: str, actor: str,
                    *, reason: str | None = None, named_outcome: str | None = None,
                    at: datetime | None = None) -> None:
    """Record one human decision through the domain (role, state and reason checked there).

    Strict: a step that is not waiting, a second decision or a wrong role raise and change
    nothing. The portal and the CLI call this, then `flows.control.resume_step`.
    """
    row_id, suffix = parse_step_run(step_run_id)
    row = service.get_step(session, row_id)
    if row.file_id != file_id or suffix:
        raise ValidationError(
            f"L'étape {step_run_id} n'est pas une décision du dossier {file_id}.",
            f"Step {step_run_id} is not a decision of file {file_id}.")
    if outcome == "approved":
        service.approve(session, row_id, actor, reason=reason or None, outcome=named_outcome,
                        at=at)
    elif outcome == "rejected":
        service.reject(session, row_id, actor, reason=reason or "", at=at)
    else:
        raise ValidationError(f"Décision « {outcome} » inconnue (approved ou rejected).",
                              f"Unknown decision '{outcome}' (approved or rejected).")


def _last_attempt() -> bool:
    """True inside a Prefect task run whose retries are spent (outside one: let it raise)."""
    from prefect.context import TaskRunContext

    context = TaskRunContext.get()
    if context is None:
        return False
    return context.task_run.run_count > context.task.retries


class DbFileEngine:
    """`flows.file_engine_protocol.FileEngine` and `SlaSource` over the database (the source
    of truth)."""

    def __init__(self, factory: sessionmaker[Session], context: Services | None = None,
                 *, clock: Callable[[], datetime] = utcnow,
                 resume: Callable[[int, int], None] | None = None) -> None:
        self.factory = factory
        self._context = context
        self.clock = clock
        self.resume = resume if resume is not None else resume_after_signing
        self._sweep_now: datetime | None = None

    @property
    def context(self) -> Services:
        if self._context is None:
            self._context = build_services(factory=self.factory, clock=self.clock)
        return self._context

    # --- FileEngine --------------------------------------------------------------------------
    def next_action(self, file_id: str) -> NextAction:
        fid = parse_file_id(file_id)
        with self.factory() as s:
            planned = queries.plan_next(s, fid)
            is_dispute = bool(service.get_file(s, fid).parent_invoice_ref)
        action, row = planned.action, planned.step_row_id
        if isinstance(action, Finished):
            if is_dispute:
                dispute_steps.release(self.context, fid)
            return Done(action.outcome or action.state.value)
        if isinstance(action, AwaitCustomer):
            stamp = int(action.due_at.timestamp()) if action.due_at else 0
            return WaitCustomer(f"{row}-request-{stamp}", action.document, action.due_at)
        if isinstance(action, AwaitHuman):
            return WaitHuman(str(row), action.role, action.due_at)
        assert row is not None
        if action.claimed and action.action == "sign" and sign.is_open(self.context, fid, row):
            return WaitCustomer(f"{row}-signing", "signature")
        return Automatic(str(row), action.action,
                         {"kind": action.kind, "step_id": action.step_id, **action.params})

    def run_automatic(self, file_id: str, step_run_id: str, action: str, params: dict) -> None:
        fid, (row_id, _) = parse_file_id(file_id), parse_step_run(step_run_id)
        with transaction(self.factory) as s:
            row = service.get_step(s, row_id)
            if row.state not in (StepState.PENDING, StepState.RUNNING):
                return  # done by an earlier run
            if row.state == StepState.PENDING:
                service.claim_automatic(s, row_id, at=self.clock())
            step = StepRef(row_id, row.step_id, row.kind, action,
                           {k: v for k, v in params.items() if k not in ("kind", "step_id")})
        handler = handler_for(step.kind, action)
        try:
            result = handler(self.context, fid, step)
        except ActionFailed as failure:
            self._fail(row_id, failure.message)
            return
        except Exception as crash:
            if not _last_attempt():
                raise  # Prefect retries the task; every handler is idempotent
            self._fail(row_id, f"{type(crash).__name__}: {crash}"[:1000])
            return
        if result.status == "done":
            with transaction(self.factory) as s:
                service.complete_automatic(s, row_id, note=result.note[:500], at=self.clock())

    def _fail(self, row_id: int, reason: str) -> None:
        with transaction(self.factory) as s:
            service.fail_automatic(s, row_id, reason=reason, at=self.clock())

    def apply_decision(self, file_id: str, decision: StepDecision) -> None:
        fid = parse_file_id(file_id)
        row_id, suffix = parse_step_run(decision.step_run_id)
        if suffix:
            return  # a signature or a customer document: the domain moved on already
        with transaction(self.factory) as s:
            row = service.get_step(s, row_id)
            wanted = {"approved": DecisionKind.APPROVE, "rejected": DecisionKind.REJECT}
            if row.decided_by == decision.actor and row.decision == wanted.get(decision.outcome):
                return  # recorded by the portal or CLI before the resume
            record_decision(s, fid, decision.step_run_id, decision.outcome, decision.actor,
                            reason=decision.reason, named_outcome=decision.named_outcome,
                            at=self.clock())

    def alert_context(self, file_id: str, step_run_id: str) -> AlertContext:
        row_id, _ = parse_step_run(step_run_id)
        with self.factory() as s:
            row = service.get_step(s, row_id)
            file = service.get_file(s, row.file_id)
            label = service.circuit_of(s, file).step(row.step_id).label
            customer = s.get(Customer, file.customer_id)
            if row.assignee:
                recipients = [get_staff(s, row.assignee).email]
            else:
                recipients = [u.email for u in users_with_role(s, row.role or "")]
            name = customer.display_name if customer else "?"
        language = self.context.settings.language
        return AlertContext(f"{file.id} — {name}", tr(label.fr, label.en, language),
                            recipients, language)

    # --- the signature step's end -----------------------------------------------------------
    def on_signing_outcome(self, outcome: SessionOutcome) -> None:
        """The signing service's `on_outcome`: wake the file's run, which then finishes the
        signature step as a task (archive the signed contract, or fail with the decline)."""
        target = sign.parse_subject(outcome.subject_ref)
        if target is not None:
            self.resume(*target)


def resume_after_signing(file_id: int, row_id: int) -> None:
    """Wake the file's run suspended on the signature (best effort: without a Prefect API or a
    suspended run, the hourly `resume_stale_runs` sweep wakes it)."""
    from flows.control import resume_step

    decision = StepDecision(step_run_id=f"{row_id}-signing", outcome="received",
                            actor=SIGNING_ACTOR)
    try:
        resume_step(str(file_id), decision)
    except (LiasseError, RuntimeError, OSError, ConflictError) as exc:
        logger.info("file %s: signature recorded, run not resumed now (%s)", file_id, exc)


def make_file_engine(factory: sessionmaker[Session]) -> DbFileEngine:
    """`LIASSE_FILE_ENGINE=flows.db_file_engine:make_file_engine` (worker processes)."""
    return DbFileEngine(factory)


def make_sla_source(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """`LIASSE_SLA_SOURCE=flows.db_file_engine:make_sla_source`."""
    from flows.actions.sla_source import DbSlaSource

    return DbSlaSource(DbFileEngine(factory))


def on_signing_outcome(outcome: SessionOutcome) -> None:
    """`on_outcome` for the portal's and the CLI's signing service: wake the file's run."""
    target = sign.parse_subject(outcome.subject_ref)
    if target is not None:
        resume_after_signing(*target)
