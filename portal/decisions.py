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

from application.services import Services
from dossiers.db import transaction
from dossiers.errors import ValidationError
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
