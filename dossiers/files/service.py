"""Starting files and applying decisions: the pure machine plus rows, locking and audit.

Every function works inside the caller's transaction (`with transaction(factory) as s:`) and
records one audit event there. Concurrency: each command re-reads the file's version, then its
steps, decides with the pure machine, and writes in one flush whose first statement is the
versioned UPDATE of the file row. Of two deciders working from the same state, the second fails
on that version check (PostgreSQL) or, having waited for the first (SQLite's `BEGIN IMMEDIATE`),
finds the step already decided; both surface as `ConflictError` and the loser writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dossiers import audit
from dossiers.circuits import Circuit, pinned_circuit, register_version
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.db import utcnow
from dossiers.errors import ConflictError, NotFound, ValidationError
from dossiers.files import disputes
from dossiers.files import state_machine as machine
from dossiers.files.mapping import view_of, write_view
from dossiers.files.models import CustomerFile, FileStep
from dossiers.files.states import SYSTEM, Actor, FileView
from dossiers.staff.models import StaffUser


# --- lookups -------------------------------------------------------------------------------
def get_file(session: Session, file_id: int) -> CustomerFile:
    file = session.get(CustomerFile, file_id)
    if file is None:
        raise NotFound(f"Dossier {file_id} introuvable.", f"File {file_id} not found.")
    return file


def get_step(session: Session, step_row_id: int) -> FileStep:
    row = session.get(FileStep, step_row_id)
    if row is None:
        raise NotFound(f"Étape {step_row_id} introuvable.", f"Step {step_row_id} not found.")
    return row


def staff_actor(session: Session, login: str) -> Actor:
    """The acting staff user with their roles; unknown or inactive logins are refused."""
    user = session.scalars(select(StaffUser).where(StaffUser.login == login)).one_or_none()
    if user is None or not user.active:
        raise NotFound(f"Utilisateur « {login} » inconnu ou inactif.",
                       f"Unknown or inactive user '{login}'.")
    return Actor(login=user.login, roles=frozenset(user.role_names))


def circuit_of(session: Session, file: CustomerFile) -> Circuit:
    return pinned_circuit(session, file.circuit_name, file.circuit_version)


# --- starting ------------------------------------------------------------------------------
def start_file(
    session: Session,
    *,
    customer_id: int,
    circuit: Circuit,
    actor: str,
    parent_invoice_ref: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> CustomerFile:
    """Open a file for a customer on the circuit's current version (pinned from now on).

    A dispute circuit needs the disputed invoice (`parent_invoice_ref`) and the claim's
    `reason`, and passes every rule of `dossiers.files.disputes` (the one place they live, so
    no way of starting a dispute skips them); it then records `dispute.opened` too.
    """
    at = at or utcnow()
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Client {customer_id} introuvable.", f"Customer {customer_id} not found.")
    _check_customer_may_start(customer, circuit)
    claim: disputes.DisputeClaim | None = None
    if disputes.is_dispute_circuit(circuit):
        if not (parent_invoice_ref or "").strip():
            raise ValidationError(
                f"Le circuit « {circuit.name} » traite un litige : indiquez la facture concernée.",
                f"Circuit '{circuit.name}' handles a dispute: give the disputed invoice.",
            )
        claim = disputes.check_claim(session, (parent_invoice_ref or "").strip(),
                                     customer_id=customer.id, reason=reason)
    version = register_version(session, circuit, actor=actor)
    view = machine.start(circuit, at)
    file = CustomerFile(
        customer_id=customer.id,
        circuit_name=circuit.name,
        circuit_version=version.version,
        state=view.state,
        parent_invoice_ref=(parent_invoice_ref or "").strip() or None,
        opened_by=actor,
        opened_at=at,
    )
    session.add(file)
    write_view(file, view, circuit, at)
    session.flush()
    audit.record(
        session, "file.started", subject_type="customer_file", subject_id=file.id, actor=actor,
        customer_id=customer.id, at=at,
        data={"circuit": circuit.name, "circuit_version": version.version,
              "first_step": circuit.first_step.id, "parent_invoice_ref": file.parent_invoice_ref},
    )
    if claim is not None:
        disputes.record_opened(session, file, claim, actor, at)
    return file


def open_dispute(session: Session, invoice_number: str, *, circuit: Circuit, actor: str,
                 reason: str, at: datetime | None = None) -> CustomerFile:
    """Start a dispute file on an invoice, for the invoice's customer (in the caller's
    transaction); the rules are those of every dispute start (`start_file`)."""
    if not disputes.is_dispute_circuit(circuit):
        raise ValidationError(
            f"Le circuit « {circuit.name} » ne traite pas de litige.",
            f"Circuit '{circuit.name}' does not handle disputes.",
        )
    number = (invoice_number or "").strip()
    if not number:
        raise ValidationError("Indiquez la facture contestée.", "Give the disputed invoice.")
    owner = disputes.disputed_invoice(session, number).customer_id
    return start_file(session, customer_id=owner, circuit=circuit, actor=actor,
                      parent_invoice_ref=number, reason=reason, at=at)


def _check_customer_may_start(customer: Customer, circuit: Circuit) -> None:
    """Seed 002: prospects and beneficiaries are never invoiced; struck-off customers get no
    new invoices. A circuit that renders an invoice cannot start for them."""
    invoices = any(s.kind == "invoice" and s.action == "render" for s in circuit.steps)
    if not invoices:
        return
    if customer.type in (CustomerType.PROSPECT, CustomerType.BENEFICIARY):
        raise ValidationError(
            f"Le client {customer.number} ({customer.type.value}) n'est jamais facturé : "
            f"le circuit « {circuit.name} » émet une facture.",
            f"Customer {customer.number} ({customer.type.value}) is never invoiced: "
            f"circuit '{circuit.name}' issues an invoice.",
        )
    if customer.state == CustomerState.STRUCK_OFF:
        raise ValidationError(
            f"Le client {customer.number} est radié : plus de nouvelle facture.",
            f"Customer {customer.number} is struck off: no new invoices.",
        )


# --- decisions on a step (human) -----------------------------------------------------------
def approve(session: Session, step_row_id: int, login: str, *, reason: str | None = None,
            outcome: str | None = None, at: datetime | None = None) -> machine.Transition:
    return _on_step(session, step_row_id, login, at,
                    lambda seq, actor: machine.Approve(seq, actor, reason, outcome))


def reject(session: Session, step_row_id: int, login: str, *, reason: str,
           at: datetime | None = None) -> machine.Transition:
    return _on_step(session, step_row_id, login, at,
                    lambda seq, actor: machine.Reject(seq, actor, reason))


def revoke(session: Session, step_row_id: int, login: str, *, reason: str,
           at: datetime | None = None) -> machine.Transition:
    """Withdraw the approval recorded on `step_row_id` (the next step must not have started)."""
    return _on_step(session, step_row_id, login, at,
                    lambda seq, actor: machine.Revoke(seq, actor, reason))


def delegate(session: Session, step_row_id: int, login: str, *, to_login: str,
             reason: str | None = None, at: datetime | None = None) -> machine.Transition:
    staff_actor(session, to_login)  # the colleague must exist and be active
    return _on_step(session, step_row_id, login, at,
                    lambda seq, actor: machine.Delegate(seq, actor, to_login, reason))


def request_document(session: Session, step_row_id: int, login: str, *, document: str,
                     due_at: datetime, reason: str | None = None,
                     at: datetime | None = None) -> machine.Transition:
    return _on_step(session, step_row_id, login, at,
                    lambda seq, actor: machine.RequestDocument(seq, actor, document, due_at,
                                                               reason))


# --- automatic steps (flows and workers) ---------------------------------------------------
def claim_automatic(session: Session, step_row_id: int, *, worker: Actor = SYSTEM,
                    at: datetime | None = None) -> machine.Transition:
    """Mark a pending automatic step running; of two workers claiming it, one gets a conflict."""
    return _on_step(session, step_row_id, worker, at,
                    lambda seq, actor: machine.StartAutomatic(seq, actor))


def complete_automatic(session: Session, step_row_id: int, *, note: str | None = None,
                       worker: Actor = SYSTEM, at: datetime | None = None) -> machine.Transition:
    return _on_step(session, step_row_id, worker, at,
                    lambda seq, actor: machine.CompleteAutomatic(seq, actor, note))


def fail_automatic(session: Session, step_row_id: int, *, reason: str, worker: Actor = SYSTEM,
                   at: datetime | None = None) -> machine.Transition:
    return _on_step(session, step_row_id, worker, at,
                    lambda seq, actor: machine.FailAutomatic(seq, actor, reason))


# --- SLA sweep (flows) ---------------------------------------------------------------------
def remind(session: Session, step_row_id: int, *, worker: Actor = SYSTEM,
           at: datetime | None = None) -> machine.Transition:
    """Record that the deciders of an overdue step were reminded (the flow sends the mail)."""
    return _on_step(session, step_row_id, worker, at,
                    lambda seq, actor: machine.Remind(seq, actor))


def escalate(session: Session, step_row_id: int, *, to_login: str, worker: Actor = SYSTEM,
             at: datetime | None = None) -> machine.Transition:
    """Hand an overdue step to `to_login` (the group lead); a second escalation conflicts."""
    staff_actor(session, to_login)
    return _on_step(session, step_row_id, worker, at,
                    lambda seq, actor: machine.Escalate(seq, actor, to_login))


# --- decisions on the file -----------------------------------------------------------------
def receive_document(session: Session, file_id: int, *, document: str, actor: Actor = SYSTEM,
                     at: datetime | None = None) -> machine.Transition:
    file = _fresh_file(session, file_id)
    return _execute(session, file, machine.ReceiveDocument(actor, document), actor, at)


def cancel_file(session: Session, file_id: int, login: str, *, reason: str,
                at: datetime | None = None) -> machine.Transition:
    actor = staff_actor(session, login)
    file = _fresh_file(session, file_id)
    return _execute(session, file, machine.Cancel(actor, reason), actor, at)


def reopen(session: Session, file_id: int, step_id: str, actor: str | Actor, reason: str,
           at: datetime | None = None) -> machine.Transition:
    """Put a closed-approved file back at human step `step_id` of its pinned circuit version.

    `actor`: a staff login (operator or admin) or `SYSTEM` (the Chorus Pro follow-up). The new
    waiting run is a new `file_steps` row, so the customer-file flow suspends on a new key.
    """
    who = actor if isinstance(actor, Actor) else staff_actor(session, actor)
    file = _fresh_file(session, file_id)
    return _execute(session, file, machine.Reopen(who, step_id, reason), who, at)


# --- the one place where a command meets the database --------------------------------------
def _on_step(session: Session, step_row_id: int, who: str | Actor, at: datetime | None,
             build: Any) -> machine.Transition:
    row = get_step(session, step_row_id)
    seq, file_id = row.seq, row.file_id  # never change: safe to read from any copy
    actor = who if isinstance(who, Actor) else staff_actor(session, who)
    return _execute(session, _fresh_file(session, file_id), build(seq, actor), actor, at)


def _fresh_file(session: Session, file_id: int) -> CustomerFile:
    """The file re-read from the database: its version first, then its steps.

    Read in that order, stale steps imply a stale version, which the versioned UPDATE then
    refuses. Copies already in the session are expired first so nothing is decided on an old
    identity-map copy of a step someone else decided meanwhile.
    """
    file = get_file(session, file_id)
    for step in list(file.steps):
        session.expire(step)
    session.expire(file)
    _ = file.version
    _ = file.steps
    return file


def _execute(session: Session, file: CustomerFile, command: machine.Command, actor: Actor,
             at: datetime | None) -> machine.Transition:
    at = at or utcnow()
    circuit = circuit_of(session, file)
    before = view_of(file)
    transition = machine.decide(circuit, before, command, at)
    # One flush: the unit of work updates the parent file row (with its version check) before
    # touching any step row, so a concurrent loser fails on the version check, not on a step
    # row's unique constraint. `flag_modified` forces the versioned UPDATE even if the new
    # timestamp equals the old one (injected clocks).
    file_id = file.id  # readable after a failed flush, when the row may no longer be loaded
    write_view(file, transition.view, circuit, at)
    flag_modified(file, "updated_at")
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            f"Le dossier {file_id} vient d'être modifié par quelqu'un d'autre : "
            "rechargez-le avant de décider.",
            f"File {file_id} was just changed by someone else: reload it before deciding.",
        ) from exc
    audit.record(
        session, transition.event, subject_type="customer_file", subject_id=file.id,
        actor=actor.login, customer_id=file.customer_id, at=at,
        data=_audit_data(command, before, file),
    )
    return transition


def _audit_data(command: machine.Command, before: FileView, file: CustomerFile) -> dict[str, Any]:
    data: dict[str, Any] = {"command": type(command).__name__,
                            "file_state_before": before.state.value,
                            "file_state": file.state.value, "current_step": file.current_step}
    if isinstance(command, machine.Reopen):  # name the new run, and the closure it undid
        data.update(seq=file.current_seq, outcome_before=before.outcome,
                    closed_at_before=before.closed_at.isoformat() if before.closed_at else None)
    for name in ("seq", "reason", "outcome", "to_login", "document", "note"):
        value = getattr(command, name, None)
        if value is not None:
            data[name] = value
    due_at = getattr(command, "due_at", None)
    if due_at is not None:
        data["due_at"] = due_at.isoformat()
    if "seq" in data:
        row = next(r for r in file.steps if r.seq == data["seq"])
        data["step_id"] = row.step_id
        data["step_row_id"] = row.id
    return data
