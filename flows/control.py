"""Starting and resuming customer-file flow runs, for the portal and the CLI.

Resume order (the database is the source of truth): the caller first records the decision
through the domain -- that is where a wrong role, a step that is not waiting or a second
decision get their clear error and change nothing -- then calls `resume_step`, which only wakes
the suspended run. `resume_step` turns Prefect's answers into `LiasseError`s:
- no suspended run for the file, or a run suspended on another step -> `NotWaiting`;
- the run was resumed meanwhile (double resume, `NotPausedError`) -> `AlreadyResumed`;
- Prefect's server rejected the input (schema) -> `ValidationError`.
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import FlowPauseTimeout, NotPausedError
from prefect.flow_runs import resume_flow_run

from dossiers.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from flows.customer_file import RECONCILE_ACTOR, suspension_key
from flows.file_engine_protocol import Done, FileEngine, StepDecision

CUSTOMER_FILE_DEPLOYMENT = "customer-file/customer-file"


class NotWaiting(IllegalTransition):
    """The file has no flow run waiting on that step."""


class AlreadyResumed(ConflictError):
    """Someone resumed this step first."""


def file_tag(file_id: str) -> str:
    return f"file:{file_id}"


def start_file(
    file_id: str, *, attempt: int = 0, deployment: str = CUSTOMER_FILE_DEPLOYMENT
) -> UUID:
    """Create the file's flow run; the same (file, attempt) always gives the same run.

    A new `attempt` starts a fresh run after a failed one; it reconciles from the database.
    """
    flow_run = run_deployment(
        deployment,
        parameters={"file_id": file_id},
        tags=[file_tag(file_id)],
        idempotency_key=f"customer-file:{file_id}:{attempt}",
        timeout=0,
        as_subflow=False,
    )
    return flow_run.id


def waiting_run(file_id: str) -> FlowRun | None:
    """The file's suspended flow run, if any."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[file_tag(file_id)]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
            ),
            limit=2,
        )
    return runs[0] if runs else None


def resume_step(file_id: str, decision: StepDecision) -> UUID:
    """Wake the file's run suspended on `decision.step_run_id`; returns the flow run id."""
    run = waiting_run(file_id)
    expected = suspension_key(decision.step_run_id)
    if run is None or run.state is None or run.state.state_details.pause_key != expected:
        raise NotWaiting(
            f"Le dossier {file_id} n'attend pas de décision sur l'étape {decision.step_run_id}.",
            f"File {file_id} is not waiting for a decision on step {decision.step_run_id}.",
        )
    try:
        resume_flow_run(run.id, run_input=decision.model_dump(mode="json"))
    except NotPausedError as exc:
        raise AlreadyResumed(
            f"L'étape {decision.step_run_id} du dossier {file_id} a déjà été reprise.",
            f"Step {decision.step_run_id} of file {file_id} was already resumed.",
        ) from exc
    except FlowPauseTimeout as exc:
        raise NotWaiting(
            f"L'attente du dossier {file_id} a expiré ; relancez le dossier.",
            f"The wait of file {file_id} expired; restart the file.",
        ) from exc
    except RuntimeError as exc:  # REJECT from the server: input does not match the schema
        raise ValidationError(
            f"Décision refusée par l'orchestrateur : {exc}",
            f"Decision refused by the orchestrator: {exc}",
        ) from exc
    return run.id


def resume_stale_runs(engine: FileEngine) -> list[UUID]:
    """Resume suspended customer-file runs whose step the database already moved past.

    Closes the race where a decision is recorded while the flow is still between its alert and
    its suspension (the portal's resume then finds nothing to resume). The run re-runs from the
    top and follows the database; the input below only satisfies the schema and is never
    applied (the flow only reads the input of the step it is waiting on).
    """
    runs = _suspended_customer_file_runs()
    resumed = []
    for run in runs:
        file_id = str(run.parameters.get("file_id", ""))
        try:
            action = engine.next_action(file_id)
        except NotFound:
            continue  # not a file of this installation's database
        waiting_key = None if isinstance(action, Done) else suspension_key(action.step_run_id)
        if run.state is None or run.state.state_details.pause_key == waiting_key:
            continue
        reconcile = StepDecision(
            step_run_id=run.state.state_details.pause_key or "unknown",
            outcome="received",
            actor=RECONCILE_ACTOR,
            reason="Décision déjà enregistrée ; reprise du dossier.",
        )
        try:
            resume_flow_run(run.id, run_input=reconcile.model_dump(mode="json"))
        except (NotPausedError, FlowPauseTimeout):
            continue
        resumed.append(run.id)
    return resumed


def _suspended_customer_file_runs(page: int = 200) -> list[FlowRun]:
    """Every suspended customer-file run (the API returns at most 200 per request)."""
    runs: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        while True:
            batch = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["customer-file"])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
                ),
                limit=page,
                offset=len(runs),
            )
            runs.extend(batch)
            if len(batch) < page:
                return runs
