"""Who is invoiced and who sells: the rules on customer types and the frozen snapshots.

Seed 002: a normal customer and a third-party payer are invoiced; a third-party payer is
invoiced for its beneficiaries ("payé par"), who are named on the lines; a beneficiary or a
prospect is never invoiced; a struck-off customer no longer is. The rule itself lives with the
customers (`dossiers.customers.rules.can_be_invoiced`); this module adds the line-level checks.

Snapshots are plain dicts stored on the invoice: an issued invoice must show the parties as
they were on the day it was issued, whatever happens to the customer record or the profile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import identifiers
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.customers.rules import ensure_can_be_invoiced
from dossiers.errors import NotFound, ValidationError

#: BR-FR-05: the three mandatory mentions, by UNTDID 4451 subject code.
MANDATORY_NOTE_CODES = ("PMT", "PMD", "AAB")


@dataclass(frozen=True)
class BuyerSnapshot:
    customer_number: str
    name: str
    address_lines: tuple[str, ...]  # name complement, street, address complement (non-empty)
    postcode: str | None
    city: str | None
    country: str
    contact_name: str | None = None  # the person, when the buyer is a company
    siret: str | None = None
    vat_number: str | None = None
    email: str | None = None
    is_public_buyer: bool = False

    @property
    def siren(self) -> str | None:
        return self.siret[:9] if self.siret else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["address_lines"] = list(self.address_lines)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuyerSnapshot:
        return cls(**{**data, "address_lines": tuple(data.get("address_lines", ()))})


@dataclass(frozen=True)
class SellerSnapshot:
    """The issuing company as printed on the invoice.

    Built by the application layer from the documents' company profile (`dossiers` does not
    import `documents`). `legal_notes` holds, per language, the BR-FR-05 mentions as
    `{"code": "PMT"|"PMD"|"AAB", "text": ...}`; they are frozen into each invoice's notes.
    """

    name: str
    siren: str
    siret: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    country: str = "FR"
    vat_number: str | None = None
    legal_form: str | None = None
    legal_mention: str | None = None  # BT-33: "SAS au capital de … – RCS Lyon …"
    email: str | None = None
    phone: str | None = None
    iban: str | None = None
    bic: str | None = None
    sepa_creditor_id: str | None = None
    legal_notes: dict[str, tuple[dict[str, str], ...]] = field(default_factory=dict)

    def notes_for(self, language: str) -> list[dict[str, str]]:
        notes = list(self.legal_notes.get(language) or self.legal_notes.get("fr") or ())
        missing = [c for c in MANDATORY_NOTE_CODES if c not in {n["code"] for n in notes}]
        if missing:
            raise ValidationError(
                f"Le profil société n'a pas les mentions obligatoires {', '.join(missing)} "
                "(indemnité de recouvrement, pénalités de retard, escompte).",
                f"The company profile lacks the mandatory mentions {', '.join(missing)} "
                "(recovery indemnity, late-payment penalties, early-payment discount).",
            )
        return [dict(n) for n in notes]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["address_lines"] = list(self.address_lines)
        data.pop("legal_notes")
        return data


def find_customer(session: Session, number: str) -> Customer:
    customer = session.scalars(select(Customer).where(Customer.number == number)).one_or_none()
    if customer is None:
        raise NotFound(f"Client {number} introuvable.", f"Customer {number} not found.")
    return customer


def buyer_snapshot(customer: Customer) -> BuyerSnapshot:
    """Refuse a customer that may not be invoiced, else freeze its invoicing identity."""
    ensure_can_be_invoiced(customer)
    vat = customer.vat_number
    if vat:
        vat = identifiers.validate_vat(vat, field="vat_number")
    siret = identifiers.validate_siret(customer.siret) if customer.siret else None
    person = " ".join(p for p in (customer.title, customer.first_name, customer.last_name) if p)
    lines = (customer.address_name_extra, customer.address_street, customer.address_extra)
    return BuyerSnapshot(
        customer_number=customer.number,
        name=customer.company_name or person or customer.number,
        address_lines=tuple(line for line in lines if line),
        contact_name=person if customer.company_name and person else None,
        postcode=customer.postcode,
        city=customer.city,
        country=customer.country or "FR",
        siret=siret,
        vat_number=vat,
        email=customer.email,
        is_public_buyer=customer.is_public_buyer,
    )


def resolve_beneficiary(session: Session, payer: Customer, number: str, where: str) -> Customer:
    """The beneficiary named on a line must be one of this third-party payer's beneficiaries."""
    beneficiary = find_customer(session, number)
    if payer.type != CustomerType.THIRD_PARTY_PAYER:
        raise ValidationError(
            f"Seul un tiers payant est facturé pour des bénéficiaires{where} : le client "
            f"{payer.number} n'est pas tiers payant.",
            f"Only a third-party payer is invoiced for beneficiaries{where}: customer "
            f"{payer.number} is not a third-party payer.",
        )
    if beneficiary.type != CustomerType.BENEFICIARY or beneficiary.payer_id != payer.id:
        raise ValidationError(
            f"Le client {number}{where} n'est pas un bénéficiaire (payé par) du tiers payant "
            f"{payer.number}.",
            f"Customer {number}{where} is not a beneficiary of third-party payer {payer.number}.",
        )
    if beneficiary.state == CustomerState.STRUCK_OFF:
        raise ValidationError(
            f"Le bénéficiaire {number}{where} est radié : rien ne peut plus lui être facturé.",
            f"Beneficiary {number}{where} is struck off: nothing can be invoiced for it any more.",
        )
    return beneficiary
