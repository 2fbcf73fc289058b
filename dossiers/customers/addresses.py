"""Other addresses: billing, delivery and reminder addresses that replace the main one.

An other address may be limited to a date range (otherwise permanent) and to one title
(otherwise all titles). When several apply, the most specific wins: one title before all titles,
dated before permanent, then the most recent. Formatting the address for print is the job of
`documents/`; this module only says *which* address to use.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.inputs import CountryCode, check_postal_lines
from dossiers.customers.models import AddressKind, Customer, CustomerAddress
from dossiers.customers.service import get_customer
from dossiers.errors import NotFound, ValidationError
from dossiers.input_validation import OptText, Text38, parse_input


class AddressInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: AddressKind
    valid_from: date | None = None
    valid_until: date | None = None
    title_code: OptText(20) = None
    company_name: Text38 = None
    recipient: Text38 = None
    name_extra: Text38 = None
    street: Text38 = None
    address_extra: Text38 = None
    postcode: OptText(10) = None
    city: Text38 = None
    country: CountryCode = "FR"

    @model_validator(mode="after")
    def _rules(self) -> AddressInput:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                f"Période invalide : le {self.valid_until} précède le {self.valid_from}.",
                f"Invalid period: {self.valid_until} is before {self.valid_from}.",
            )
        if not (self.company_name or self.recipient):
            raise ValidationError("L'adresse doit porter une société ou un destinataire.",
                                  "The address needs a company or a recipient.")
        if not (self.postcode and self.city):
            raise ValidationError("Code postal et ville sont obligatoires.",
                                  "Postcode and city are required.")
        check_postal_lines("", self.postcode, self.city, self.country)
        return self


def add_address(session: Session, number: str, data: Mapping[str, Any], *,
                actor: str = "system") -> CustomerAddress:
    fields = parse_input(AddressInput, data)
    customer = get_customer(session, number, lock=True)
    address = CustomerAddress(customer_id=customer.id, **fields.model_dump())
    session.add(address)
    session.flush()
    record(session, "customer.address_added", subject_type="customer_address",
           subject_id=address.id, actor=actor, customer_id=customer.id,
           data={"kind": address.kind.value, "title_code": address.title_code,
                 "valid_from": str(address.valid_from) if address.valid_from else None,
                 "valid_until": str(address.valid_until) if address.valid_until else None})
    return address


def remove_address(session: Session, address_id: int, *, actor: str = "system") -> None:
    address = session.get(CustomerAddress, address_id)
    if address is None:
        raise NotFound(f"Adresse inconnue : {address_id}.", f"Unknown address: {address_id}.")
    customer_id = address.customer_id
    session.delete(address)
    session.flush()
    record(session, "customer.address_removed", subject_type="customer_address",
           subject_id=address_id, actor=actor, customer_id=customer_id)


def _specificity(address: CustomerAddress) -> tuple[bool, bool, int]:
    dated = address.valid_from is not None or address.valid_until is not None
    return (address.title_code is not None, dated, address.id)


def address_for(customer: Customer, kind: AddressKind, on: date,
                title_code: str | None = None) -> CustomerAddress | None:
    """The other address to use for `kind` on `on` (and `title_code`), or None: main address."""
    candidates = [a for a in customer.addresses if a.applies(kind, on, title_code)]
    return max(candidates, key=_specificity) if candidates else None
