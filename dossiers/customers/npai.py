"""Undeliverable mail (NPAI, "n'habite pas à l'adresse indiquée").

Each postal return increments the customer's counter. When it reaches the threshold (a company
setting, `settings.npai_threshold`, passed in by the caller so the domain stays settings-free),
the customer is flagged undeliverable and a suspension is *proposed*: a person decides, through
`service.change_state`. A new main address clears the counter (`reset_postal_returns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.models import CustomerState
from dossiers.customers.service import get_customer
from dossiers.errors import ValidationError


@dataclass(frozen=True)
class PostalReturnOutcome:
    count: int
    flagged: bool
    suspension_proposed: bool  # True only on the return that crossed the threshold


def record_postal_return(
    session: Session, number: str, *, threshold: int, actor: str = "system"
) -> PostalReturnOutcome:
    """Count one returned letter; at `threshold` flag the customer and propose suspension."""
    if threshold < 1:
        raise ValidationError("Le seuil NPAI doit être au moins 1.",
                              "The NPAI threshold must be at least 1.")
    customer = get_customer(session, number, lock=True)
    customer.undeliverable_count += 1
    session.flush()
    record(session, "customer.postal_return", subject_type="customer",
           subject_id=customer.number, actor=actor, customer_id=customer.id,
           data={"count": customer.undeliverable_count, "threshold": threshold})
    crossed = customer.undeliverable_count >= threshold and not customer.undeliverable_flag
    if crossed:
        customer.undeliverable_flag = True
        customer.suspension_proposed = customer.state == CustomerState.ACTIVE
        session.flush()
        action = ("customer.suspension_proposed" if customer.suspension_proposed
                  else "customer.flagged_undeliverable")
        record(session, action, subject_type="customer",
               subject_id=customer.number, actor=actor, customer_id=customer.id,
               data={"count": customer.undeliverable_count, "threshold": threshold,
                     "state": customer.state.value})
    return PostalReturnOutcome(customer.undeliverable_count, customer.undeliverable_flag,
                               crossed and customer.suspension_proposed)


def reset_postal_returns(session: Session, number: str, *, actor: str = "system") -> None:
    """Clear the counter and the flag, e.g. once a corrected address is entered."""
    customer = get_customer(session, number, lock=True)
    if customer.undeliverable_count == 0 and not customer.undeliverable_flag:
        return
    previous = customer.undeliverable_count
    customer.undeliverable_count = 0
    customer.undeliverable_flag = False
    customer.suspension_proposed = False
    session.flush()
    record(session, "customer.postal_returns_reset", subject_type="customer",
           subject_id=customer.number, actor=actor, customer_id=customer.id,
           data={"previous_count": previous})
