"""Every transition of the pure state machine, and every refusal, on the shipped circuits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dossiers.circuits import parse_circuit
from dossiers.errors import ConflictError, IllegalTransition, PermissionDenied, ValidationError
from dossiers.files import state_machine as m
from dossiers.files.states import SYSTEM, Actor, DecisionKind, FileState, FileView, StepState

from .helpers import CIRCUITS_DIR, at, default_circuit, dispute_circuit

CIRCUIT = default_circuit()
DISPUTE = dispute_circuit()
OLGA = Actor("olga", frozenset({"order_desk"}))
OSCAR = Actor("oscar", frozenset({"order_desk"}))
DORA = Actor("dora", frozenset({"documents_checker"}))
CARL = Actor("carl", frozenset({"contract_manager"}))
ADMIN = Actor("root", frozenset({"admin"}))
OPS = Actor("ops", frozenset({"operator"}))
NOBODY = Actor("sam", frozenset({"sales_rep"}))


def apply(view: FileView, command: m.Command, hours: float = 1, circuit=CIRCUIT) -> FileView:
    return m.decide(circuit, view, command, at(hours)).view


def current_seq(view: FileView) -> int:
    assert view.current is not None
    return view.current.seq


def at_step(step_id: str) -> FileView:
    """A default-circuit file walked (by approvals and completions) up to `step_id`."""
    view = m.start(CIRCUIT, at(0))
    while view.current is not None and view.current.step_id != step_id:
        action = m.next_action(CIRCUIT, view)
        if isinstance(action, m.AwaitHuman):
            view = apply(view, m.Approve(action.seq, ADMIN))
        elif isinstance(action, m.RunAutomatic) and not action.claimed:
            view = apply(view, m.StartAutomatic(action.seq, SYSTEM))
        else:
            assert isinstance(action, m.RunAutomatic)
            view = apply(view, m.CompleteAutomatic(action.seq, SYSTEM))
    return view


# --- start and next action -----------------------------------------------------------------
def test_start_waits_for_the_first_role_with_sla() -> None:
    view = m.start(CIRCUIT, at(0))
    assert view.state == FileState.IN_PROGRESS
    action = m.next_action(CIRCUIT, view)
    assert action == m.AwaitHuman(1, "order_form", "order_desk", None, at(24), at(48))


def test_automatic_step_is_pending_then_claimed() -> None:
    view = at_step("contract_draft")
    action = m.next_action(CIRCUIT, view)
    assert isinstance(action, m.RunAutomatic)
    assert (action.action, action.kind, action.claimed) == ("render", "contract", False)
    view = apply(view, m.StartAutomatic(action.seq, SYSTEM), 5)
    assert view.current is not None and view.current.state == StepState.RUNNING
    assert view.current.started_at == at(5)
    assert m.next_action(CIRCUIT, view) == replace(action, claimed=True)


def test_full_walk_closes_approved() -> None:
    view = at_step("never")
    assert view.state == FileState.CLOSED_APPROVED and view.outcome == "approved"
    assert m.next_action(CIRCUIT, view) == m.Finished(FileState.CLOSED_APPROVED, "approved")
    assert [r.step_id for r in view.runs] == [s.id for s in CIRCUIT.steps[:-1]]
    assert all(r.state == StepState.APPROVED for r in view.runs)


# --- approve / reject ----------------------------------------------------------------------
def test_approve_records_decider_time_and_starts_next() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Approve(1, OLGA, "  conforme "), 2)
    first, second = view.runs
    assert (first.state, first.decided_by, first.decided_at, first.reason) == (
        StepState.APPROVED, "olga", at(2), "conforme")
    assert first.decision == DecisionKind.APPROVE
    assert (second.step_id, second.state, second.due_at) == (
        "supporting_documents", StepState.WAITING, at(2 + 48))


def test_reject_goes_back_to_the_named_step() -> None:
    view = at_step("supporting_documents")
    view = apply(view, m.Reject(current_seq(view), DORA, "Kbis illisible"))
    assert view.runs[-2].state == StepState.REJECTED
    assert view.runs[-2].reason == "Kbis illisible"
    assert view.current is not None and view.current.step_id == "order_form"
    assert view.state == FileState.IN_PROGRESS


def test_reject_to_close_closes_rejected() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Reject(1, OLGA, "client inconnu"))
    assert view.state == FileState.CLOSED_REJECTED and view.current is None
    assert view.outcome == "rejected" and view.closed_at == at(1)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reject_requires_a_reason(reason: str | None) -> None:
    with pytest.raises(ValidationError, match="motif est obligatoire"):
        m.decide(CIRCUIT, m.start(CIRCUIT, at(0)), m.Reject(1, OLGA, reason), at(1))  # type: ignore[arg-type]


def test_overlong_reason_refused() -> None:
    with pytest.raises(ValidationError, match="2000"):
        apply(m.start(CIRCUIT, at(0)), m.Reject(1, OLGA, "x" * 2001))


def test_double_decision_is_a_conflict_naming_the_winner() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Approve(1, OLGA), 3)
    with pytest.raises(ConflictError, match=r"déjà été traitée \(approved\) par olga"):
        apply(view, m.Approve(1, OSCAR))
    with pytest.raises(ConflictError):
        apply(view, m.Reject(1, OSCAR, "trop tard"))


def test_closed_file_accepts_nothing() -> None:
    closed = apply(m.start(CIRCUIT, at(0)), m.Reject(1, OLGA, "non"))
    commands = [m.Cancel(ADMIN, "x"), m.ReceiveDocument(SYSTEM, "Kbis"), m.Revoke(1, ADMIN, "x")]
    for command in commands:
        with pytest.raises(IllegalTransition, match="clos"):
            apply(closed, command)
    # Deciding the step that closed it: the late decider learns who decided it.
    for late in [m.Approve(1, ADMIN), m.Delegate(1, ADMIN, "olga")]:
        with pytest.raises(ConflictError, match="déjà été traitée"):
            apply(closed, late)


def test_unknown_step_number() -> None:
    with pytest.raises(IllegalTransition, match="n°42"):
        apply(m.start(CIRCUIT, at(0)), m.Approve(42, ADMIN))


# --- permissions ---------------------------------------------------------------------------
def test_wrong_role_is_denied_admin_allowed() -> None:
    view = m.start(CIRCUIT, at(0))
    with pytest.raises(PermissionDenied, match="sam n'a pas le rôle « order_desk »"):
        apply(view, m.Approve(1, NOBODY))
    with pytest.raises(PermissionDenied):
        apply(view, m.Approve(1, DORA))
    with pytest.raises(PermissionDenied):
        apply(view, m.Approve(1, SYSTEM))
    assert apply(view, m.Approve(1, ADMIN)).runs[0].decided_by == "root"


def test_humans_cannot_drive_automatic_steps_and_vice_versa() -> None:
    view = at_step("contract_draft")
    seq = current_seq(view)
    with pytest.raises(IllegalTransition, match="automatique"):
        apply(view, m.Approve(seq, ADMIN))
    with pytest.raises(PermissionDenied):
        apply(view, m.StartAutomatic(seq, CARL))
    assert apply(view, m.StartAutomatic(seq, OPS)).current.state == StepState.RUNNING  # type: ignore[union-attr]
    with pytest.raises(IllegalTransition, match="décision humaine"):
        apply(m.start(CIRCUIT, at(0)), m.StartAutomatic(1, SYSTEM))


# --- automatic steps -----------------------------------------------------------------------
def test_automatic_claim_twice_is_a_conflict_and_complete_needs_a_claim() -> None:
    view = at_step("contract_draft")
    seq = current_seq(view)
    with pytest.raises(IllegalTransition, match="pas été démarrée"):
        apply(view, m.CompleteAutomatic(seq, SYSTEM))
    running = apply(view, m.StartAutomatic(seq, SYSTEM))
    with pytest.raises(ConflictError, match="déjà en cours"):
        apply(running, m.StartAutomatic(seq, SYSTEM))


def test_automatic_failure_follows_on_failure_with_reason() -> None:
    view = at_step("invoice_send")
    seq = current_seq(view)
    running = apply(view, m.StartAutomatic(seq, SYSTEM))
    with pytest.raises(ValidationError):
        apply(running, m.FailAutomatic(seq, SYSTEM, " "))
    failed = apply(running, m.FailAutomatic(seq, SYSTEM, "SMTP 554"))
    assert failed.run(seq).state == StepState.FAILED and failed.run(seq).reason == "SMTP 554"
    action = m.next_action(CIRCUIT, failed)
    assert isinstance(action, m.AwaitHuman) and action.step_id == "invoice_review"
    again = apply(failed, m.Approve(action.seq, Actor("bill", frozenset({"billing"}))))
    assert again.current is not None and again.current.step_id == "invoice_render"


def test_signature_completes_automatically_with_a_note() -> None:
    view = at_step("signature")
    seq = current_seq(view)
    view = apply(apply(view, m.StartAutomatic(seq, SYSTEM)),
                 m.CompleteAutomatic(seq, SYSTEM, "signé par les deux parties"))
    assert view.run(seq).decision == DecisionKind.COMPLETE
    assert view.run(seq).reason == "signé par les deux parties"
    assert view.current is not None and view.current.step_id == "invoice_render"


# --- revoke --------------------------------------------------------------------------------
def test_revoke_while_next_human_step_untouched() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Approve(1, OLGA), 1)
    view = apply(view, m.Revoke(1, OLGA, "mauvais client"), 2)
    assert [(r.step_id, r.state) for r in view.runs] == [
        ("order_form", StepState.REVOKED), ("supporting_documents", StepState.SKIPPED),
        ("order_form", StepState.WAITING)]
    assert (view.runs[0].revoked_by, view.runs[0].revoked_at) == ("olga", at(2))
    assert view.runs[0].decided_by == "olga"  # the original decision stays on record
    assert view.runs[1].decided_by == "olga" and view.runs[1].reason == "mauvais client"
    assert view.runs[2].due_at == at(2 + 24)


def test_revoke_while_next_automatic_step_pending_but_not_running() -> None:
    view = at_step("supporting_documents")
    seq = current_seq(view)
    view = apply(view, m.Approve(seq, DORA))
    assert apply(view, m.Revoke(seq, DORA, "pièce manquante")).current.step_id == (  # type: ignore[union-attr]
        "supporting_documents")
    running = apply(view, m.StartAutomatic(seq + 1, SYSTEM))
    with pytest.raises(IllegalTransition, match="a déjà commencé"):
        apply(running, m.Revoke(seq, DORA, "trop tard"))


def test_revoke_rules() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Approve(1, OLGA))
    with pytest.raises(PermissionDenied, match="Seul olga"):
        apply(view, m.Revoke(1, OSCAR, "je préfère"))
    with pytest.raises(ValidationError):
        apply(view, m.Revoke(1, OLGA, ""))
    assert apply(view, m.Revoke(1, ADMIN, "erreur")).runs[0].revoked_by == "root"
    decided_next = apply(view, m.Approve(2, DORA))
    with pytest.raises(IllegalTransition, match="ne peut plus être révoquée"):
        apply(decided_next, m.Revoke(1, OLGA, "trop tard"))
    rejected = apply(m.start(CIRCUIT, at(0)), m.Reject(1, OLGA, "non"))
    with pytest.raises(IllegalTransition):
        apply(rejected, m.Revoke(1, OLGA, "x"))
    with pytest.raises(IllegalTransition, match="pas une approbation humaine"):
        apply(m.start(CIRCUIT, at(0)), m.Revoke(1, OLGA, "x"))


# --- delegate ------------------------------------------------------------------------------
def test_delegate_lets_the_colleague_decide() -> None:
    view = apply(m.start(CIRCUIT, at(0)), m.Delegate(1, OLGA, "sam", "congés"))
    assert view.runs[0].assignee == "sam" and view.runs[0].state == StepState.WAITING
    assert m.next_action(CIRCUIT, view).assignee == "sam"  # type: ignore[union-attr]
    assert apply(view, m.Approve(1, NOBODY)).runs[0].decided_by == "sam"
    with pytest.raises(IllegalTransition, match="déjà confiée"):
        apply(view, m.Delegate(1, OLGA, "sam"))
    with pytest.raises(PermissionDenied):
        apply(m.start(CIRCUIT, at(0)), m.Delegate(1, NOBODY, "sam"))
    with pytest.raises(ValidationError):
        apply(m.start(CIRCUIT, at(0)), m.Delegate(1, OLGA, "  "))


# --- documents requested from the customer -------------------------------------------------
def test_request_document_waits_on_customer_then_resumes() -> None:
    view = at_step("supporting_documents")
    seq = current_seq(view)
    asked = apply(view, m.RequestDocument(seq, DORA, "Kbis < 3 mois", at(100), "manquant"), 3)
    assert asked.state == FileState.WAITING_CUSTOMER
    assert m.next_action(CIRCUIT, asked) == m.AwaitCustomer(seq, "supporting_documents",
                                                           "Kbis < 3 mois", at(100))
    with pytest.raises(IllegalTransition, match="attend le document"):
        apply(asked, m.Approve(seq, DORA))
    with pytest.raises(IllegalTransition, match="déjà demandé"):
        apply(asked, m.RequestDocument(seq, DORA, "RIB", at(100)))
    back = apply(asked, m.ReceiveDocument(SYSTEM, "kbis.pdf"), 5)
    assert back.state == FileState.IN_PROGRESS and back.run(seq).request_received_at == at(5)
    assert apply(back, m.Approve(seq, DORA)).current.step_id == "contract_draft"  # type: ignore[union-attr]


def test_request_document_rules() -> None:
    view = m.start(CIRCUIT, at(0))
    with pytest.raises(ValidationError, match="futur"):
        apply(view, m.RequestDocument(1, OLGA, "Kbis", at(0)), 1)
    with pytest.raises(ValidationError, match="Nommez"):
        apply(view, m.RequestDocument(1, OLGA, " ", at(9)))
    with pytest.raises(IllegalTransition, match="Aucun document"):
        apply(view, m.ReceiveDocument(SYSTEM, "x"))
    asked = apply(view, m.RequestDocument(1, OLGA, "Kbis", at(9)))
    rejected = apply(asked, m.Reject(1, OLGA, "jamais reçu"))
    assert rejected.state == FileState.CLOSED_REJECTED


# --- cancel --------------------------------------------------------------------------------
def test_cancel_by_operator_skips_current_step() -> None:
    view = at_step("contract_review")
    with pytest.raises(PermissionDenied):
        apply(view, m.Cancel(CARL, "doublon"))
    with pytest.raises(ValidationError):
        apply(view, m.Cancel(OPS, ""))
    cancelled = apply(view, m.Cancel(OPS, "doublon"))
    assert cancelled.state == FileState.CANCELLED and cancelled.current is None
    assert cancelled.runs[-1].state == StepState.SKIPPED
    assert m.next_action(CIRCUIT, cancelled) == m.Finished(FileState.CANCELLED, "cancelled")


# --- dispute outcomes ----------------------------------------------------------------------
@pytest.mark.parametrize(("outcome", "next_step"), [("credit_note", "credit_note"),
                                                    ("correction", "corrected_invoice")])
def test_dispute_outcomes(outcome: str, next_step: str) -> None:
    dina = Actor("dina", frozenset({"disputes"}))
    view = m.start(DISPUTE, at(0))
    view = apply(view, m.StartAutomatic(1, SYSTEM), circuit=DISPUTE)
    view = apply(view, m.CompleteAutomatic(1, SYSTEM), circuit=DISPUTE)
    with pytest.raises(ValidationError, match="credit_note, correction"):
        apply(view, m.Approve(2, dina), circuit=DISPUTE)
    view = apply(view, m.Approve(2, dina, outcome=outcome), circuit=DISPUTE)
    assert view.current is not None and view.current.step_id == next_step
    view = apply(view, m.StartAutomatic(3, SYSTEM), circuit=DISPUTE)
    view = apply(view, m.CompleteAutomatic(3, SYSTEM), circuit=DISPUTE)
    assert (view.state, view.outcome) == (FileState.CLOSED_APPROVED, outcome)


def test_dispute_rejection_and_stray_outcome() -> None:
    dina = Actor("dina", frozenset({"disputes"}))
    view = apply(apply(m.start(DISPUTE, at(0)), m.StartAutomatic(1, SYSTEM), circuit=DISPUTE),
                 m.CompleteAutomatic(1, SYSTEM), circuit=DISPUTE)
    closed = apply(view, m.Reject(2, dina, "réclamation infondée"), circuit=DISPUTE)
    assert (closed.state, closed.outcome) == (FileState.CLOSED_REJECTED, "rejected")
    with pytest.raises(ValidationError, match="pas d'issues nommées"):
        apply(m.start(CIRCUIT, at(0)), m.Approve(1, OLGA, outcome="credit_note"))


def test_a_failed_hold_leads_to_hold_missing_and_the_review_waits_for_the_hold() -> None:
    dina = Actor("dina", frozenset({"disputes"}))
    view = apply(m.start(DISPUTE, at(0)), m.StartAutomatic(1, SYSTEM), circuit=DISPUTE)
    view = apply(view, m.FailAutomatic(1, SYSTEM, "archive injoignable"), circuit=DISPUTE)
    assert view.current is not None and view.current.step_id == "hold_missing"
    view = apply(view, m.Approve(2, dina, "relancer"), circuit=DISPUTE)  # retries the hold
    assert view.current is not None and view.current.step_id == "legal_hold"
    view = apply(view, m.StartAutomatic(3, SYSTEM), circuit=DISPUTE)
    view = apply(view, m.CompleteAutomatic(3, SYSTEM), circuit=DISPUTE)
    assert view.current is not None and view.current.step_id == "dispute_review"


def test_a_dispute_is_not_decided_while_its_hold_failed() -> None:
    """Even a circuit that sends a failed hold straight to the review (as dispute.yaml did)
    cannot have the review decided before a hold succeeded."""
    import re

    text = (CIRCUITS_DIR / "dispute.yaml").read_text()
    text = re.sub(r"\n  - id: hold_missing\n(    .*\n)+", "\n", text)
    unheld = parse_circuit(text.replace("on_failure: hold_missing", "on_failure: dispute_review"))
    dina = Actor("dina", frozenset({"disputes"}))
    view = apply(m.start(unheld, at(0)), m.StartAutomatic(1, SYSTEM), circuit=unheld)
    view = apply(view, m.FailAutomatic(1, SYSTEM, "archive injoignable"), circuit=unheld)
    assert view.current is not None and view.current.step_id == "dispute_review"
    for command in (m.Approve(2, dina, outcome="credit_note"), m.Reject(2, dina, "infondé")):
        with pytest.raises(IllegalTransition, match="gel juridique des pièces n'est pas en place"):
            apply(view, command, circuit=unheld)


# --- SLA: reminders and escalation ---------------------------------------------------------
def test_remind_only_when_overdue_and_only_by_the_system() -> None:
    view = m.start(CIRCUIT, at(0))  # order_form: SLA 24 h, escalation 48 h
    with pytest.raises(IllegalTransition, match="pas en retard"):
        apply(view, m.Remind(1, SYSTEM), 23)
    with pytest.raises(PermissionDenied):
        apply(view, m.Remind(1, OLGA), 25)
    reminded = apply(view, m.Remind(1, SYSTEM), 25)
    assert reminded.runs[0].reminded_at == at(25)
    assert reminded.runs[0].state == StepState.WAITING


def test_escalate_once_after_the_second_delay() -> None:
    view = m.start(CIRCUIT, at(0))
    with pytest.raises(IllegalTransition, match="délai d'escalade"):
        apply(view, m.Escalate(1, SYSTEM, "lead"), 47)
    escalated = apply(view, m.Escalate(1, SYSTEM, "lead"), 49)
    run = escalated.runs[0]
    assert (run.assignee, run.escalated_to, run.escalated_at) == ("lead", "lead", at(49))
    with pytest.raises(ConflictError, match="déjà été remontée à lead"):
        apply(escalated, m.Escalate(1, SYSTEM, "lead"), 50)
    lead = Actor("lead", frozenset({"group_lead"}))
    assert apply(escalated, m.Approve(1, lead)).runs[0].decided_by == "lead"


def test_no_sla_sweep_on_automatic_steps() -> None:
    view = at_step("contract_draft")
    with pytest.raises(IllegalTransition, match="automatique"):
        apply(view, m.Remind(current_seq(view), SYSTEM), 500)


def test_failure_can_close_the_file_rejected() -> None:
    circuit = parse_circuit(
        "name: mini\nlabel: {fr: Mini, en: Mini}\nsteps:\n"
        "  - {id: archive, label: {fr: A, en: A}, kind: custom, mode: automatic,"
        " action: archive, on_approve: close, on_failure: close}\n"
    )
    view = m.start(circuit, at(0))
    view = apply(apply(view, m.StartAutomatic(1, SYSTEM), circuit=circuit),
                 m.FailAutomatic(1, SYSTEM, "S3 indisponible"), circuit=circuit)
    assert (view.state, view.outcome, view.runs[0].reason) == (
        FileState.CLOSED_REJECTED, "rejected", "S3 indisponible")
