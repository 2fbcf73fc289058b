"""VIES checks of a customer's intra-EU VAT number: recorded, read back, and judged.

The domain never talks to VIES (no network in `dossiers`): the application layer asks the
connector and hands the answer's fields to `record_vat_check`, which keeps it in the customer's
check history with an audit event. `assess_vat_check` is the pure rule the invoice gate applies
to the latest check: only VIES saying "invalid" blocks; a check that is missing, stale or could
not be done is reported as such so the caller can re-check or let the invoice go with the fact
on record.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.models import Customer, CustomerVatCheck, VatCheckStatus
from dossiers.errors import ValidationError


def compact_vat(vat_number: str) -> str:
    """The comparable form of a VAT number: letters and digits, upper case.

    >>> compact_vat("de 136.695-976")
    'DE136695976'
    """
    return "".join(ch for ch in vat_number if ch.isalnum()).upper()


def record_vat_check(
    session: Session,
    customer: Customer,
    *,
    vat_number: str,
    status: VatCheckStatus | str,
    checked_at: datetime,
    name: str | None = None,
    address: str | None = None,
    request_date: date | None = None,
    reason: str | None = None,
    from_cache: bool = False,
    actor: str = "system",
) -> CustomerVatCheck:
    """Append one check to the customer's history, audited in the caller's transaction."""
    try:
        checked_status = VatCheckStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in VatCheckStatus)
        raise ValidationError(f"Statut de vérification TVA inconnu : {status} ({allowed}).",
                              f"Unknown VAT check status: {status} ({allowed}).") from None
    if checked_at.tzinfo is None:
        raise ValidationError("Date de vérification TVA sans fuseau horaire.",
                              "VAT check time without a time zone.")
    check = CustomerVatCheck(
        customer_id=customer.id, vat_number=compact_vat(vat_number), status=checked_status,
        checked_at=checked_at, request_date=request_date, registered_name=name,
        registered_address=address, reason=reason, from_cache=from_cache,
    )
    session.add(check)
    session.flush()
    record(session, "customer.vat_checked", subject_type="customer", subject_id=customer.number,
           actor=actor, customer_id=customer.id,
           data={"vat_number": check.vat_number, "status": checked_status.value,
                 "checked_at": checked_at.isoformat(), "name": name, "address": address,
                 "request_date": str(request_date) if request_date else None,
                 "reason": reason, "from_cache": from_cache})
    return check


def latest_vat_check(session: Session, customer_id: int) -> CustomerVatCheck | None:
    """The customer's most recent check, whatever number it was for (None if never checked)."""
    query = (select(CustomerVatCheck).where(CustomerVatCheck.customer_id == customer_id)
             .order_by(CustomerVatCheck.checked_at.desc(), CustomerVatCheck.id.desc()).limit(1))
    return session.scalars(query).first()


class Standing(enum.StrEnum):
    """Where a VAT number stands for the invoice gate."""

    VALID = "valid"  # VIES said valid, recently enough
    INVALID = "invalid"  # VIES said invalid (at any age: the last word we have)
    UNVERIFIED = "unverified"  # VIES could not answer, recently
    STALE = "stale"  # the last valid/unverified answer is older than the allowed age
    MISSING = "missing"  # never checked, or only under another number


@dataclass(frozen=True)
class VatCheckAssessment:
    standing: Standing
    vat_number: str
    check: CustomerVatCheck | None = None
    fresh: bool = False  # the check is younger than the allowed age

    @property
    def blocks(self) -> bool:
        return self.standing is Standing.INVALID

    @property
    def worth_rechecking(self) -> bool:
        """A new VIES answer is due: none usable yet, VIES failed, or the last one is old."""
        return self.standing is not Standing.VALID and not (
            self.standing is Standing.INVALID and self.fresh)


def assess_vat_check(check: CustomerVatCheck | None, vat_number: str, *, now: datetime,
                     max_age: timedelta) -> VatCheckAssessment:
    """Judge the latest check of `vat_number` as of `now` (pure)."""
    wanted = compact_vat(vat_number)
    if check is None or check.vat_number != wanted:
        return VatCheckAssessment(Standing.MISSING, wanted, None)
    fresh = now - check.checked_at <= max_age
    if check.status is VatCheckStatus.INVALID:
        return VatCheckAssessment(Standing.INVALID, wanted, check, fresh)
    if not fresh:
        return VatCheckAssessment(Standing.STALE, wanted, check, fresh)
    standing = Standing.VALID if check.status is VatCheckStatus.VALID else Standing.UNVERIFIED
    return VatCheckAssessment(standing, wanted, check, fresh)
