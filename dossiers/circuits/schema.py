"""The shape of a circuit definition, and the checks a well-formed circuit must pass.

Pydantic checks each field (kinds, modes, actions, positive SLAs); `check_graph` then checks the
circuit as a whole (unique ids, human steps decided by a role the domain defines, transitions
that point somewhere, every step reachable, a way to the end) and names the step at fault,
because a circuit that loads must never strand a file.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dossiers.circuits.roles import KNOWN_ROLES

CLOSE = "close"
"""Transition target that ends the file (approved when reached by approval, else rejected)."""

StepKind = Literal[
    "order_form", "supporting_documents", "contract", "signature", "invoice", "dispute", "custom"
]
StepMode = Literal["human", "automatic"]
Action = Literal[
    "render",  # build the step's document (contract, invoice, credit note) as PDF/A
    "seal",  # company seal (PAdES) on the rendered document
    "sign",  # collect the signers' SMS-code signatures; completes when everyone signed
    "send",  # e-mail / portal notice to the customer, or print centre for paper customers
    "archive",  # legal archive with retention
    "deposit",  # Chorus Pro deposit (public buyers)
    "print",  # print-centre drop
    "notify",  # internal notice (e.g. to the sales rep)
    "legal_hold",  # put the disputed invoice's archived documents on legal hold
    "credit_note",  # issue a credit note cancelling all or part of an invoice
    "correct_invoice",  # credit note plus corrected invoice
]
ParamValue = str | int | bool

_ID_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class StepDef(BaseModel):
    """One step. Human steps wait for a role's decision; automatic steps run an action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID_PATTERN)
    label: Label
    kind: StepKind
    mode: StepMode
    role: str | None = Field(default=None, min_length=1, max_length=50)
    sla_hours: int | None = Field(default=None, gt=0)
    escalate_after_hours: int | None = Field(default=None, gt=0)
    action: Action | None = None
    params: dict[str, ParamValue] = Field(default_factory=dict)
    on_approve: str | None = None
    on_reject: str | None = None
    on_failure: str | None = None
    outcomes: dict[str, str] = Field(default_factory=dict)

    @property
    def is_human(self) -> bool:
        return self.mode == "human"

    def approve_targets(self) -> list[str]:
        """Where an approval (or a successful automatic run) may lead."""
        if self.outcomes:
            return list(self.outcomes.values())
        return [self.on_approve] if self.on_approve else []

    def all_targets(self) -> list[str]:
        others = [t for t in (self.on_reject, self.on_failure) if t]
        return self.approve_targets() + others


class Circuit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_ID_PATTERN)
    label: Label
    description: str | None = None
    steps: list[StepDef] = Field(min_length=1)

    @property
    def first_step(self) -> StepDef:
        return self.steps[0]

    def step(self, step_id: str) -> StepDef:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id)


class CircuitProblem(Exception):
    """A whole-circuit rule broken by one step (the loader adds the file name)."""

    def __init__(self, step_id: str | None, fr: str, en: str) -> None:
        super().__init__(en)
        self.step_id = step_id
        self.fr = fr
        self.en = en


def check_graph(circuit: Circuit) -> None:
    """Raise `CircuitProblem` for the first rule the circuit breaks."""
    ids = [s.id for s in circuit.steps]
    seen: set[str] = set()
    for step in circuit.steps:
        if step.id == CLOSE:
            raise CircuitProblem(step.id, "« close » est réservé et ne peut pas nommer une étape",
                                 "'close' is reserved and cannot name a step")
        if step.id in seen:
            raise CircuitProblem(step.id, "identifiant d'étape en double", "duplicate step id")
        seen.add(step.id)
    for position, step in enumerate(circuit.steps):
        _check_mode_fields(step)
        _check_targets(step, position, ids)
    _check_reachability(circuit)


def _check_mode_fields(step: StepDef) -> None:
    def problem(fr: str, en: str) -> CircuitProblem:
        return CircuitProblem(step.id, fr, en)

    if step.is_human:
        if not step.role:
            raise problem("une étape humaine doit nommer le rôle qui décide (role)",
                          "a human step must name the role that decides (role)")
        if step.role not in KNOWN_ROLES:
            known = ", ".join(KNOWN_ROLES)
            raise problem(f"rôle inconnu « {step.role} » (rôles définis : {known})",
                          f"unknown role '{step.role}' (defined roles: {known})")
        if step.sla_hours is None:
            raise problem("une étape humaine doit avoir un délai (sla_hours)",
                          "a human step needs an SLA (sla_hours)")
        if step.action is not None:
            raise problem("une étape humaine ne peut pas avoir d'action automatique",
                          "a human step cannot have an automatic action")
        if step.on_failure is not None:
            raise problem("on_failure est réservé aux étapes automatiques",
                          "on_failure is for automatic steps only")
        if step.on_reject is None:
            raise problem("une étape humaine doit dire où mène un rejet (on_reject)",
                          "a human step must say where a rejection leads (on_reject)")
        if step.escalate_after_hours is not None and step.escalate_after_hours <= step.sla_hours:
            raise problem("escalate_after_hours doit dépasser sla_hours",
                          "escalate_after_hours must exceed sla_hours")
    else:
        if step.action is None:
            raise problem("une étape automatique doit nommer son action (action)",
                          "an automatic step must name its action (action)")
        if step.role is not None:
            raise problem("une étape automatique n'a pas de rôle décideur",
                          "an automatic step has no deciding role")
        if step.on_reject is not None or step.outcomes:
            raise problem(
                "une étape automatique n'a ni on_reject ni outcomes (utiliser on_failure)",
                "an automatic step has neither on_reject nor outcomes (use on_failure)",
            )
        if step.on_failure is None:
            raise problem("une étape automatique doit dire où mène un échec (on_failure)",
                          "an automatic step must say where a failure leads (on_failure)")
        if step.escalate_after_hours is not None:
            raise problem("escalate_after_hours est réservé aux étapes humaines",
                          "escalate_after_hours is for human steps only")
    if step.outcomes and step.on_approve is not None:
        raise problem("une étape à issues (outcomes) ne peut pas aussi avoir on_approve",
                      "a step with outcomes cannot also have on_approve")
    if not step.outcomes and step.on_approve is None:
        raise problem("l'étape doit dire où mène une approbation (on_approve ou outcomes)",
                      "the step must say where an approval leads (on_approve or outcomes)")


def _check_targets(step: StepDef, position: int, ids: list[str]) -> None:
    for target in step.all_targets():
        if target != CLOSE and target not in ids:
            raise CircuitProblem(
                step.id,
                f"transition vers une étape inconnue « {target} »",
                f"transition to unknown step '{target}'",
            )
        if target == step.id:
            raise CircuitProblem(step.id, "une étape ne peut pas mener à elle-même",
                                 "a step cannot lead to itself")
    if step.on_reject not in (None, CLOSE) and ids.index(step.on_reject) >= position:
        raise CircuitProblem(
            step.id,
            f"on_reject doit revenir à une étape antérieure, pas « {step.on_reject} »",
            f"on_reject must go back to an earlier step, not '{step.on_reject}'",
        )


def _check_reachability(circuit: Circuit) -> None:
    reachable = _walk(circuit, circuit.first_step.id, approvals_only=False)
    for step in circuit.steps:
        if step.id not in reachable:
            raise CircuitProblem(step.id, "étape inaccessible depuis la première étape",
                                 "step unreachable from the first step")
    if CLOSE not in _walk(circuit, circuit.first_step.id, approvals_only=True):
        raise CircuitProblem(
            None,
            "le circuit n'a pas de fin : aucune suite d'approbations ne mène à « close »",
            "the circuit has no end: no chain of approvals leads to 'close'",
        )
    for step in circuit.steps:
        if CLOSE not in _walk(circuit, step.id, approvals_only=False):
            raise CircuitProblem(step.id, "aucun chemin ne mène de cette étape à la fin",
                                 "no path leads from this step to the end")


def _walk(circuit: Circuit, start: str, *, approvals_only: bool) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == CLOSE:
            continue
        step = circuit.step(current)
        targets = step.approve_targets() if approvals_only else step.all_targets()
        for target in targets:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
