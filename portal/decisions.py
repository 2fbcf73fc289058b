"""A validator's decision from the portal: exactly what `liasse flow decide` does.

1. Record it through the domain (`flows.db_file_engine.record_decision`) in one transaction:
   a wrong role, a step no longer waiting or a second decision raise there (PermissionDenied,
   ConflictError, IllegalTransition) and nothing changes; of two people deciding at once, the
   file's optimistic lock lets one win and the other gets a ConflictError.
2. Then wake the file's suspended flow run (`flows.control.resume_step`); if no run is
   suspended on that step yet, the stale-run sweep (`resume_stale_runs`) wakes it as soon as it
   suspends. Best effort, as the CLI: without a Prefect API (`PREFECT_API_URL`), or when
   Prefect does not answer, the decision stands and the hourly sweep (`liasse flow wake`) moves
   the run on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from application.services import Services
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.files import service
from dossiers.input_validation import parse_due
from dossiers.staff.models import StaffUser
from dossiers.staff.service import users_with_role
from flows.db_file_engine import record_decision
from flows.file_engine_protocol import StepDecision
from portal.access import Principal, visible_step

logger = logging.getLogger(__name__)
Verdict = Literal["approve", "reject"]
ResumeOutcome = Literal["resumed", "swept", "later", "no_orchestrator"]


@dataclass(frozen=True)
class DecisionResult:
    step_id: int
    file_id: int
    verdict: Verdict
    resume: str


def reason_required() -> ValidationError:
    return ValidationError("Un motif est obligatoire pour un rejet.",
                           "A reason is required for a rejection.")


def decide(services: Services, resume: object, principal: Principal, step_id: int,
           verdict: Verdict, *, reason: str = "", outcome: str | None = None) -> DecisionResult:
    reason = (reason or "").strip()
    outcome_name = "approved" if verdict == "approve" else "rejected"
    with transaction(services.factory) as session:
        # Scope first: out of scope is a 404 whatever the input (no existence leak).
        step = visible_step(session, principal, step_id)
        if verdict == "reject" and not reason:
            raise reason_required()
        file_id = step.file_id
        record_decision(session, file_id, str(step_id), outcome_name, principal.login,
                        reason=reason or None, named_outcome=outcome or None,
                        at=services.clock())
    decision = StepDecision(step_run_id=str(step_id), outcome=outcome_name,
                            actor=principal.login, reason=reason, named_outcome=outcome or None)
    resumed = resume(file_id, decision)  # type: ignore[operator]
    return DecisionResult(step_id, file_id, verdict, resumed)


def prefect_resumer(services: Services):  # type: ignore[no-untyped-def]
    """The production resume hook: wake the run through Prefect's API, never fail the caller."""

    def resume(file_id: int, decision: StepDecision) -> ResumeOutcome:
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():
            logger.info("file %s: decision recorded; no Prefect API, the sweep resumes the run",
                        file_id)
            return "no_orchestrator"
        from flows.control import AlreadyResumed, NotWaiting, resume_stale_runs, resume_step
        from flows.db_file_engine import make_file_engine

        try:
            resume_step(str(file_id), decision)
            return "resumed"
        except AlreadyResumed:
            return "resumed"
        except NotWaiting:
            try:
                resume_stale_runs(make_file_engine(services.factory))
                return "swept"
            except Exception as exc:  # Prefect unreachable: the sweep will do it
                logger.warning("file %s: stale-run sweep failed (%s: %s)", file_id,
                               type(exc).__name__, exc)
                return "later"
        except Exception as exc:  # Prefect down, refused input...: the decision stands
            logger.warning("file %s: decision recorded, run not resumed now (%s: %s)", file_id,
                           type(exc).__name__, exc)
            return "later"

    return resume


# --- handing a step on: a colleague, or the customer ------------------------------------------
def delegate(services: Services, principal: Principal, step_id: int, to_login: str, *,
             reason: str = "") -> int:
    """Hand a waiting step to a colleague (`liasse steps delegate`); the run keeps waiting on
    the same step, so there is nothing to resume. Returns the file id."""
    with transaction(services.factory) as session:
        step = visible_step(session, principal, step_id)
        colleague = to_login.strip().lower()
        if not colleague:
            raise ValidationError("Indiquez à qui déléguer l'étape.", "Say whom to delegate to.")
        if not any(u.login == colleague and u.active for u in
                   session.scalars(select(StaffUser).where(StaffUser.login == colleague))):
            raise ValidationError(f"Collègue inconnu ou inactif : {colleague}.",
                                  f"Unknown or inactive colleague: {colleague}.")
        service.delegate(session, step.id, principal.login, to_login=colleague,
                         reason=reason.strip() or None, at=services.clock())
        return step.file_id


def request_document(services: Services, principal: Principal, step_id: int, document: str,
                     due: str, *, reason: str = "") -> int:
    """Ask the customer for a missing document by a due date (`liasse steps
    request-document`); the file waits for it. The run's wait moves to the request at the next
    sweep (`liasse flow wake`), exactly as after the CLI. Returns the file id."""
    with transaction(services.factory) as session:
        step = visible_step(session, principal, step_id)  # scope first, then the input
        if not document.strip():
            raise ValidationError("Nommez le document demandé au client.",
                                  "Name the document requested from the customer.")
        due_at = parse_due(due)
        service.request_document(session, step.id, principal.login, document=document,
                                 due_at=due_at, reason=reason.strip() or None,
                                 at=services.clock())
        return step.file_id


def colleagues_for(session: Session, principal: Principal, role: str | None) -> list[str]:
    """Whom a step can be delegated to: any other active staff user (the domain lets the
    delegate decide), the holders of the step's role first."""
    holders = [u.login for u in users_with_role(session, role)] if role else []
    everyone = session.scalars(select(StaffUser.login).where(StaffUser.active.is_(True))
                               .order_by(StaffUser.login)).all()
    ordered = [*holders, *(login for login in everyone if login not in holders)]
    return [login for login in ordered if login != principal.login]
