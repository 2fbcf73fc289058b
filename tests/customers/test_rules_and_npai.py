"""Invoicing/delivery/reminder predicates by type and state, and the NPAI threshold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer
from dossiers.customers.npai import record_postal_return, reset_postal_returns
from dossiers.customers.rules import (
    NotInvoiceable,
    can_be_invoiced,
    ensure_can_be_invoiced,
    receives_deliveries,
    receives_reminders,
    reminder_recipient,
)
from dossiers.customers.service import change_state, get_customer
from dossiers.db import transaction

AddCustomer = Callable[..., Customer]


def _reload(db: sessionmaker[Session], number: str) -> Customer:
    with db() as s:
        return get_customer(s, number)


def _set_state(db: sessionmaker[Session], number: str, state: str) -> None:
    with transaction(db) as s:
        change_state(s, number, state)


def test_predicates_follow_type_and_state(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    normal = add_customer()
    payer = add_customer(type="third_party_payer", company_name="EBSCO", last_name=None)
    child = add_customer(type="beneficiary", payer_number=payer.number)
    prospect = add_customer(type="prospect")

    normal, payer, child, prospect = (
        _reload(db, c.number) for c in (normal, payer, child, prospect))
    assert can_be_invoiced(normal) and can_be_invoiced(payer)
    verdict = can_be_invoiced(child)
    assert not verdict and isinstance(verdict.reason, NotInvoiceable)
    assert payer.number in verdict.reason.fr
    assert "prospect" in str(can_be_invoiced(prospect).reason)
    with pytest.raises(NotInvoiceable, match="jamais facturé"):
        ensure_can_be_invoiced(child)
    ensure_can_be_invoiced(normal)

    assert all(receives_deliveries(c) for c in (normal, payer, child, prospect))
    assert receives_reminders(normal) and receives_reminders(payer)
    assert not receives_reminders(child)
    assert reminder_recipient(child).number == payer.number
    assert reminder_recipient(normal).number == normal.number

    _set_state(db, normal.number, "suspended")
    suspended = _reload(db, normal.number)
    assert not receives_deliveries(suspended)
    assert can_be_invoiced(suspended) and receives_reminders(suspended)

    _set_state(db, normal.number, "struck_off")
    struck = _reload(db, normal.number)
    assert not receives_deliveries(struck) and not receives_reminders(struck)
    assert reminder_recipient(struck) is None
    assert "radié" in str(can_be_invoiced(struck).reason)

    _set_state(db, payer.number, "struck_off")
    assert reminder_recipient(_reload(db, child.number)) is None


def test_npai_threshold_flags_and_proposes_suspension_once(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    outcomes = []
    for _ in range(4):
        with transaction(db) as s:
            outcomes.append(record_postal_return(s, customer.number, threshold=3, actor="ops"))
    assert [(o.count, o.flagged, o.suspension_proposed) for o in outcomes] == [
        (1, False, False), (2, False, False), (3, True, True), (4, True, False)]
    stored = _reload(db, customer.number)
    assert stored.undeliverable_flag and stored.suspension_proposed
    assert stored.state == "active"  # only proposed: a person decides
    with db() as s:
        actions = s.scalars(select(AuditEvent.action).where(
            AuditEvent.customer_id == stored.id).order_by(AuditEvent.seq)).all()
    assert actions.count("customer.postal_return") == 4
    assert actions.count("customer.suspension_proposed") == 1

    _set_state(db, customer.number, "suspended")
    assert not _reload(db, customer.number).suspension_proposed
    with transaction(db) as s:
        reset_postal_returns(s, customer.number)
    reset = _reload(db, customer.number)
    assert (reset.undeliverable_count, reset.undeliverable_flag) == (0, False)


def test_npai_threshold_of_one_flags_on_first_return_without_proposal_when_suspended(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    _set_state(db, customer.number, "suspended")
    with transaction(db) as s:
        outcome = record_postal_return(s, customer.number, threshold=1)
    assert outcome.flagged and not outcome.suspension_proposed
