"""Chorus Pro said no (`IN_REJETE`, `REJETEE`, `A_RECYCLER`...): tell the operators, and put
the invoice back in its file's circuit with the reason.

`handle_problem` is what `connectors.chorus_pro.followup.poll_once(on_problem=...)` calls once
the deposit is recorded `to_fix`. The invoice's file is found through its links, then:
- an invoice step still active (deposit in progress): `fail_automatic` -> the circuit's failure
  path (invoice review) with the reason;
- the file closed approved (the usual case: rejections come days after the deposit closed it):
  `service.reopen` at the deposit step's failure target (invoice review), then the file's flow
  run is started for that new waiting step (best effort: with no Prefect API the database
  change stands and `start_reopened_runs`, run by a sweep, starts it later);
- anything else (rejected or cancelled file, a file elsewhere in its circuit): the problem is
  recorded in the file's audit trail for the operators.
Idempotent by deposit and reason (the invoice number's deposit row and its attempt number, so a
re-deposit rejected again is a new problem): a second call finds its reason already routed on the
file and changes nothing, and the operators' mail has that key. `chorus_problem` is the
`module:callable` for the `chorus-followup` deployment's `problem_handler` parameter.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from application.invoicing import posting
from application.services import Services, build_services
from dossiers import audit
from dossiers.audit.models import AuditEvent
from dossiers.chorus_deposits.records import find as find_deposit
from dossiers.circuits import Circuit
from dossiers.db import transaction
from dossiers.errors import ConflictError
from dossiers.files import service
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.states import OPEN_FILE_STATES, SYSTEM, FileState, StepState
from dossiers.i18n import tr
from dossiers.staff.service import users_with_role

logger = logging.getLogger(__name__)
OPERATOR_ROLES = ("operator", "admin")
ROUTED_ACTIONS = ("step.failed", "file.reopened", "file.invoice_problem")
Wake = Callable[[int, int], object]  # (file id, waiting step row id) -> anything


@dataclass(frozen=True)
class Routed:
    """Where the problem went: `failed` (invoice step failed to review), `reopened` (closed
    file reopened at `row_id`), `recorded` (noted on the file only), `already` (an earlier
    call routed this same problem)."""

    how: str
    row_id: int | None = None


def handle_problem(ctx: Services, invoice_number: str, reason: str,
                   *, wake: Wake | None = None) -> int | None:
    """Alert and route the problem; returns the file id put back in its circuit (None: none
    could be). `wake` starts the reopened file's flow run (default: `start_reopened_run`)."""
    with ctx.factory() as s:
        files = posting.files_of_invoice(s, invoice_number)
        deposit = find_deposit(s, invoice_number)
        attempt = deposit.attempts if deposit is not None else 0
    file_id = files[0] if files else None
    text = problem_text(invoice_number, reason, attempt)
    routed = _route(ctx, file_id, invoice_number, reason, text) if file_id else None
    _alert(ctx, invoice_number, reason, file_id, routed, attempt)
    if routed is not None and routed.how == "reopened" and routed.row_id is not None:
        (wake or start_reopened_run)(file_id, routed.row_id)  # type: ignore[arg-type]
    moved = routed is not None and routed.how in ("failed", "reopened")
    return file_id if moved else None


def problem_text(number: str, reason: str, attempt: int = 1) -> str:
    """The reason as the file's step carries it (and the idempotency key on the file)."""
    which = f" (dépôt n°{attempt})" if attempt > 1 else ""
    return f"Chorus Pro, facture {number}{which} : {reason}"[:1000]


def _route(ctx: Services, file_id: int, number: str, reason: str, text: str) -> Routed:
    try:
        return _route_once(ctx, file_id, number, reason, text)
    except ConflictError:
        # Someone changed the file meanwhile (a second follow-up, a person): look again, once.
        return _route_once(ctx, file_id, number, reason, text)


def _route_once(ctx: Services, file_id: int, number: str, reason: str,
                text: str) -> Routed:
    with transaction(ctx.factory) as s:
        if _already_routed(s, file_id, text):
            return Routed("already")
        file = service.get_file(s, file_id)
        current = next((r for r in file.steps if r.seq == file.current_seq), None)
        if file.state in OPEN_FILE_STATES and current is not None and current.kind == "invoice" \
                and current.mode == "automatic":
            if current.state == StepState.PENDING:
                service.claim_automatic(s, current.id, at=ctx.clock())
            service.fail_automatic(s, current.id, reason=text, at=ctx.clock())
            return Routed("failed", current.id)
        review = review_step(service.circuit_of(s, file))
        if file.state == FileState.CLOSED_APPROVED and review is not None:
            service.reopen(s, file_id, review, SYSTEM, text, at=ctx.clock())
            return Routed("reopened", _current_row(s, file_id))
        audit.record(s, "file.invoice_problem", subject_type="customer_file",
                     subject_id=file_id, actor=ctx.actor, customer_id=file.customer_id,
                     data={"invoice": number, "chorus_reason": reason, "reason": text,
                           "file_state": file.state.value})
    return Routed("recorded")


def review_step(circuit: Circuit) -> str | None:
    """Where an invoice problem goes back to: the deposit step's failure target when a person
    decides it (`invoice_review` in the default circuit), else the circuit's human invoice
    step; None when the circuit has neither."""
    for step in circuit.steps:
        if step.kind == "invoice" and step.action == "deposit" and step.on_failure:
            target = next((s for s in circuit.steps if s.id == step.on_failure), None)
            if target is not None and target.is_human:
                return target.id
    return next((s.id for s in circuit.steps if s.kind == "invoice" and s.is_human), None)


def _already_routed(session: Session, file_id: int, text: str) -> bool:
    rows = session.scalars(select(AuditEvent.data).where(
        AuditEvent.subject_type == "customer_file", AuditEvent.subject_id == str(file_id),
        AuditEvent.action.in_(ROUTED_ACTIONS)))
    return any((data or {}).get("reason") == text for data in rows)


def _current_row(session: Session, file_id: int) -> int:
    file = service.get_file(session, file_id)
    return next(r.id for r in file.steps if r.seq == file.current_seq)


def _alert(ctx: Services, number: str, reason: str, file_id: int | None,
           routed: Routed | None, attempt: int) -> str | None:
    with ctx.factory() as s:
        to = sorted({u.email for role in OPERATOR_ROLES for u in users_with_role(s, role)})
    if not to:
        return None
    how = routed.how if routed else None
    where = {
        "failed": f"Le dossier {file_id} est revenu au contrôle de la facture.",
        "reopened": f"Le dossier {file_id}, qui était clos, a été rouvert au contrôle de la "
                    "facture avec ce motif.",
        "already": f"Le dossier {file_id} a déjà été remis dans son circuit pour ce motif.",
    }.get(how or "", f"Dossier {file_id} : corriger la facture par un avoir ou une "
                     "rectificative." if file_id else "Aucun dossier client ne porte cette "
                     "facture.")
    message = EmailMessage()
    message["Subject"] = f"[Liasse] Chorus Pro : facture {number} à corriger"
    message["To"] = ", ".join(to)
    message.set_content(f"Chorus Pro a refusé ou renvoyé la facture {number}.\n\n"
                        f"Motif : {reason}\n\n{where}\n")
    digest = hashlib.sha256(reason.encode()).hexdigest()[:12]
    return ctx.mailer.send(message, f"chorus-problem:{number}:{attempt}:{digest}")


# --- starting the reopened file's flow run ---------------------------------------------------
def start_reopened_run(file_id: int, row_id: int) -> UUID | None:
    """Start the customer-file run that drives a reopened file from its new waiting step.

    The file's earlier run finished when it closed, so nothing is suspended to resume: a new
    run is created with `flows.control.start_file`, keyed by the new step row (`attempt`), so
    a retried wake or a sweep never makes a second run. Best effort: without a Prefect API
    (`PREFECT_API_URL`) or if the call fails, the reopening stands and the sweep starts it.
    """
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        logger.info("file %s reopened at step %s; no Prefect API: the sweep starts its run",
                    file_id, row_id)
        return None
    from flows.control import start_file

    try:
        return start_file(str(file_id), attempt=row_id)
    except Exception as exc:  # Prefect down, deployment missing...: never fail the caller
        logger.warning("file %s reopened at step %s; run not started now (%s: %s)", file_id,
                       row_id, type(exc).__name__, exc)
        return None


def reopened_waiting(session: Session) -> list[tuple[int, int]]:
    """(file id, step row id) of files whose current step is the waiting run a reopening
    created: the files `start_reopened_runs` makes sure have a flow run."""
    rows = session.execute(
        select(CustomerFile.id, FileStep.id)
        .join(FileStep, (FileStep.file_id == CustomerFile.id)
              & (FileStep.seq == CustomerFile.current_seq))
        .where(CustomerFile.state.in_(OPEN_FILE_STATES), FileStep.state == StepState.WAITING)
    ).all()
    if not rows:
        return []
    reopened = {
        (int(subject), (data or {}).get("step_row_id"))
        for subject, data in session.execute(
            select(AuditEvent.subject_id, AuditEvent.data).where(
                AuditEvent.action == "file.reopened", AuditEvent.subject_type == "customer_file"))
    }
    return [(file_id, row_id) for file_id, row_id in rows if (file_id, row_id) in reopened]


def start_reopened_runs(factory: sessionmaker[Session],
                        start: Callable[[int, int], object] = start_reopened_run) -> int:
    """The sweep: (re)start the run of every reopened file still waiting on its new step.

    Idempotent through `start_file`'s key (file, step row): a run already made is returned, not
    duplicated. Returns how many files were asked for.
    """
    with factory() as s:
        waiting = reopened_waiting(s)
    for file_id, row_id in waiting:
        start(file_id, row_id)
    return len(waiting)


def chorus_problem(invoice_number: str, reason: str) -> None:
    """`problem_handler="flows.actions.chorus_problems:chorus_problem"` (built from settings)."""
    handle_problem(build_services(), invoice_number, reason)


def describe_wake(file_id: int, row_id: int, run_id: UUID | None) -> str:
    """One line for the CLI: the run started, or how it will be."""
    if run_id is not None:
        return tr(f"Exécution {run_id} démarrée pour le dossier {file_id}.",
                  f"Run {run_id} started for file {file_id}.")
    return tr(f"Exécution non démarrée maintenant (pas d'API Prefect joignable) : "
              f"`liasse flow start {file_id} --attempt {row_id}` ou le prochain balayage.",
              f"Run not started now (no Prefect API reachable): "
              f"`liasse flow start {file_id} --attempt {row_id}` or the next sweep.")
