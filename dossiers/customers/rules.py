"""What a customer's type and state allow: invoicing, deliveries, reminders.

Other parts of Liasse (invoicing waves, deliveries, renewal reminders) ask these predicates
rather than re-reading the seed's rules:

- `normal` pays and receives; `third_party_payer` is invoiced for its beneficiaries;
  `beneficiary` is delivered but never invoiced, and its reminders go to its payer;
  `prospect` is never invoiced.
- `suspended` stops deliveries; `struck_off` also stops reminders, new subscriptions and
  invoices (payments on open invoices are still accepted).
"""

from __future__ import annotations

from dataclasses import dataclass

from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.errors import ValidationError
from dossiers.i18n import tr

INVOICEABLE_TYPES = frozenset({CustomerType.NORMAL, CustomerType.THIRD_PARTY_PAYER})


class NotInvoiceable(ValidationError):
    """This customer may not receive an invoice; the message says why."""


@dataclass(frozen=True)
class Verdict:
    """A yes/no answer that carries its reason; truthy when allowed."""

    allowed: bool
    reason: NotInvoiceable | None = None

    def __bool__(self) -> bool:
        return self.allowed


def can_be_invoiced(customer: Customer) -> Verdict:
    """Normal and third-party-payer customers that are not struck off can be invoiced."""
    if customer.type == CustomerType.BENEFICIARY:
        payer = customer.payer.number if customer.payer else "?"
        return Verdict(False, NotInvoiceable(
            f"Le client {customer.number} est « payé par » : il n'est jamais facturé, "
            f"facturez son tiers payant {payer}.",
            f"Customer {customer.number} is a beneficiary: it is never invoiced, "
            f"invoice its third-party payer {payer}.",
        ))
    if customer.type == CustomerType.PROSPECT:
        return Verdict(False, NotInvoiceable(
            f"Le client {customer.number} est un prospect : pas de facture, offres gratuites "
            "seulement.",
            f"Customer {customer.number} is a prospect: no invoice, free offers only.",
        ))
    if customer.state == CustomerState.STRUCK_OFF:
        return Verdict(False, NotInvoiceable(
            f"Le client {customer.number} est radié : il ne peut plus être facturé.",
            f"Customer {customer.number} is struck off: it can no longer be invoiced.",
        ))
    return Verdict(True)


def ensure_can_be_invoiced(customer: Customer) -> None:
    """Raise `NotInvoiceable` with the reason, or return quietly."""
    verdict = can_be_invoiced(customer)
    if verdict.reason is not None:
        raise verdict.reason


@dataclass(frozen=True)
class CustomerWarning:
    """Something the record lacks that will block later work; the record is kept as it is."""

    fr: str
    en: str

    @property
    def message(self) -> str:
        return tr(self.fr, self.en)


def invoicing_warnings(customer: Customer) -> list[CustomerWarning]:
    """What will make this customer's invoices be refused, said when the record is saved.

    An electronic invoice must carry the buyer's e-mail address (BT-49, BR-FR-12); without one
    every invoice is refused at issue, long after the record was typed in. A customer that is
    never invoiced (beneficiary, prospect, struck off) needs none.
    """
    if not can_be_invoiced(customer) or (customer.email or "").strip():
        return []
    return [CustomerWarning(
        f"Attention : le client {customer.number} n'a pas d'adresse e-mail, obligatoire sur une "
        "facture électronique ; ses factures seront refusées tant qu'elle manque.",
        f"Warning: customer {customer.number} has no e-mail address, required on an electronic "
        "invoice; its invoices will be refused until one is given.",
    )]


def receives_deliveries(customer: Customer) -> bool:
    """Suspended and struck-off customers get no issue; every type can be delivered."""
    return customer.state == CustomerState.ACTIVE


def receives_reminders(customer: Customer) -> bool:
    """Whether reminders are sent to this customer *itself* (not struck off, not a beneficiary)."""
    return customer.state != CustomerState.STRUCK_OFF and customer.type != CustomerType.BENEFICIARY


def reminder_recipient(customer: Customer) -> Customer | None:
    """Who gets the reminders about this customer's subscriptions, or None (no reminder).

    A beneficiary's reminders go to its third-party payer; struck-off customers (on either
    side) get none.
    """
    if customer.state == CustomerState.STRUCK_OFF:
        return None
    if customer.type == CustomerType.BENEFICIARY:
        payer = customer.payer
        return payer if payer is not None and receives_reminders(payer) else None
    return customer
