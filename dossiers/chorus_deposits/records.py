"""Every change to a deposit record, each with its audit event in the caller's transaction.

`claim` takes an invoice for a deposit attempt (state `pending`, written before any call);
`move` changes the state along `ALLOWED`; `follow` stores what polling learned. Nothing here
talks to Chorus Pro: the connector decides, these functions record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.chorus_deposits.lifecycle import DepositState, InvoiceLifecycle
from dossiers.chorus_deposits.models import ChorusDeposit
from dossiers.db import for_update
from dossiers.errors import ConflictError, IllegalTransition

S = DepositState
ALLOWED: dict[DepositState, frozenset[DepositState]] = {
    S.PENDING: frozenset({S.SUBMITTED, S.UNCERTAIN, S.FAILED, S.TO_FIX}),
    S.UNCERTAIN: frozenset({S.PENDING, S.SUBMITTED, S.UNCERTAIN}),
    S.FAILED: frozenset({S.PENDING}),
    S.TO_FIX: frozenset({S.PENDING, S.TO_FIX}),
    S.SUBMITTED: frozenset({S.SUBMITTED, S.SETTLED, S.TO_FIX}),
    S.SETTLED: frozenset(),
}
SUBJECT = "chorus_deposit"


def find(session: Session, invoice_number: str, *, lock: bool = False) -> ChorusDeposit | None:
    query = select(ChorusDeposit).where(ChorusDeposit.invoice_number == invoice_number)
    if lock and for_update(session):
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def find_many(
    session: Session, invoice_numbers: list[str], *, lock: bool = False
) -> dict[str, ChorusDeposit]:
    """The records of these invoices, by number (one query for a whole wave)."""
    if not invoice_numbers:
        return {}
    query = select(ChorusDeposit).where(ChorusDeposit.invoice_number.in_(invoice_numbers))
    if lock and for_update(session):
        query = query.with_for_update()
    return {d.invoice_number: d for d in session.scalars(query)}


def _audit(
    session: Session, deposit: ChorusDeposit, action: str, now: datetime, **data: Any
) -> None:
    record(
        session,
        f"{SUBJECT}.{action}",
        subject_type=SUBJECT,
        subject_id=deposit.invoice_number,
        customer_id=deposit.customer_id,
        data={"state": deposit.state.value, **data},
        at=now,
    )


def claim(
    session: Session,
    current: ChorusDeposit | None,
    invoice_number: str,
    *,
    file_name: str,
    content_sha256: str,
    now: datetime,
    lease: timedelta,
    customer_id: int | None = None,
) -> tuple[ChorusDeposit, DepositState | None]:
    """Take the invoice for one deposit attempt; returns the row and the state it came from.

    `current` is the invoice's record as the caller read it (locked), or None. Raises
    `ConflictError`, changing nothing, when it is already on Chorus Pro or when another attempt
    is in flight.
    """
    deposit = current
    previous = deposit.state if deposit else None
    if deposit is None:
        deposit = ChorusDeposit(
            invoice_number=invoice_number,
            customer_id=customer_id,
            file_name=file_name,
            content_sha256=content_sha256,
            state=S.PENDING,
            attempts=0,
            idle_polls=0,
            status_history=[],
            created_at=now,
        )
        session.add(deposit)
    elif previous == S.PENDING and now - deposit.updated_at < lease:
        raise ConflictError(
            f"Le dépôt de la facture {invoice_number} est déjà en cours.",
            f"Invoice {invoice_number} is already being deposited.",
        )
    elif previous in (S.SUBMITTED, S.SETTLED):
        raise ConflictError(
            f"La facture {invoice_number} est déjà déposée sur Chorus Pro "
            f"(flux {deposit.flow_number}).",
            f"Invoice {invoice_number} is already on Chorus Pro (flow {deposit.flow_number}).",
        )
    deposit.state = S.PENDING
    deposit.file_name = file_name
    deposit.content_sha256 = content_sha256
    deposit.attempts += 1
    deposit.reason = None
    deposit.updated_at = now
    # No flush here: the audit append flushes the row with its event (one round trip).
    _audit(
        session,
        deposit,
        "recorded",
        now,
        file_name=file_name,
        content_sha256=content_sha256,
        attempt=deposit.attempts,
        previous=previous.value if previous else None,
    )
    return deposit, previous


def move(
    session: Session,
    deposit: ChorusDeposit,
    state: DepositState,
    *,
    now: datetime,
    reason: str | None = None,
    next_poll_at: datetime | None = None,
    **fields: Any,
) -> ChorusDeposit:
    """Change the record's state (checked against `ALLOWED`) and set the given columns."""
    if state not in ALLOWED[deposit.state]:
        raise IllegalTransition(
            f"Dépôt {deposit.invoice_number} : passage de {deposit.state} à {state} impossible.",
            f"Deposit {deposit.invoice_number}: cannot go from {deposit.state} to {state}.",
        )
    previous = deposit.state
    deposit.state = state
    deposit.reason = reason
    deposit.next_poll_at = next_poll_at
    deposit.updated_at = now
    for name, value in fields.items():
        setattr(deposit, name, value)
    data = {k: _jsonable(v) for k, v in fields.items() if k != "status_history"}
    _audit(session, deposit, state.value, now, previous=previous.value, reason=reason, **data)
    return deposit


def follow(
    session: Session,
    deposit: ChorusDeposit,
    *,
    now: datetime,
    next_poll_at: datetime | None,
    changed: bool,
    **fields: Any,
) -> ChorusDeposit:
    """Store one poll's findings; an audit event only when something changed."""
    deposit.last_polled_at = now
    deposit.next_poll_at = next_poll_at
    deposit.idle_polls = 0 if changed else deposit.idle_polls + 1
    for name, value in fields.items():
        setattr(deposit, name, value)
    if changed:
        deposit.updated_at = now
        data = {k: _jsonable(v) for k, v in fields.items() if k != "status_history"}
        _audit(session, deposit, "progress", now, **data)
    session.flush()
    return deposit


def _jsonable(value: Any) -> Any:
    if isinstance(value, InvoiceLifecycle | DepositState):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
