"""VIES where the business needs it: on a customer's VAT number, and before reverse charge.

Issue 7: the VAT-number check runs when a customer's intra-EU VAT number is entered, and before
invoicing an EU buyer with reverse charge (AE) or an intra-EU supply (K). The domain
(`dossiers.customers.vat_checks`) stores and judges checks without any network; this module is
the application layer that owns the connector:

- `check_customer_vat(factory, number, checker)`: ask VIES (no transaction open while waiting),
  then record the answer in its own transaction;
- `refresh_for_input` / `refresh_for_draft`: before an issuing transaction, re-check the buyer
  when its latest check is missing, older than the allowed age or failed;
- `clear_invoice(session, invoice)`: the gate itself, database-only, run inside the issuing
  transaction by `application.invoicing.issuing` for every path (CLI, flows, drafts, re-issues).
  VIES's "invalid" refuses the invoice (the transaction rolls back: no number taken); a check
  that could not be done, or is missing/stale with no way to redo it, lets the invoice go and
  writes `invoice.vies_unverified` to the audit trail.

Only VIES saying "invalid" ever blocks: VIES downtime is a "could not verify", not a stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session, sessionmaker

from connectors.vies import VatChecker
from connectors.vies.settings import ViesSettings
from dossiers.audit import record
from dossiers.customers.models import Customer, VatCheckStatus
from dossiers.customers.service import get_customer
from dossiers.customers.vat_checks import (
    Standing,
    VatCheckAssessment,
    assess_vat_check,
    compact_vat,
    latest_vat_check,
    record_vat_check,
)
from dossiers.db import transaction, utcnow
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.inputs import InvoiceInput, parse_input
from dossiers.invoicing.models import Invoice, InvoiceKind
from dossiers.invoicing.parties import find_customer
from dossiers.invoicing.vat import EU_COUNTRIES, VatCategory, parse_category, vat_country

HOME_COUNTRY = "FR"
#: Categories that rest on the buyer's EU VAT number: VIES must not call it invalid.
VIES_CATEGORIES = frozenset({VatCategory.REVERSE_CHARGE.value, VatCategory.INTRA_EU.value})


class ViesGateSettings(BaseSettings):
    """How the invoice gate treats VIES checks (`LIASSE_VIES_*`, beside `ViesSettings`)."""

    model_config = SettingsConfigDict(env_prefix="LIASSE_VIES_", extra="ignore")

    max_check_age_days: int = Field(
        default=30, ge=0,
        description="Age after which a buyer's VIES check is redone before reverse charge.")
    require_fresh_check: bool = Field(
        default=False,
        description="Refuse (instead of issuing as unverified) when no recent check can be had.")


@dataclass(frozen=True)
class ViesPolicy:
    max_age: timedelta = timedelta(days=30)
    require_fresh: bool = False
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: ViesGateSettings | None = None, *,
                      clock: Callable[[], datetime] = utcnow) -> ViesPolicy:
        settings = settings or ViesGateSettings()
        return cls(timedelta(days=settings.max_check_age_days), settings.require_fresh_check,
                   clock)


class ViesRefusal(ValidationError):
    """An invoice that rests on a VAT number VIES calls invalid (or could not vouch for)."""


def default_checker(settings: ViesSettings | None = None) -> VatChecker:
    """The real SOAP client on the configured address (`LIASSE_VIES_URL`, the EC's otherwise)."""
    return VatChecker(settings=settings or ViesSettings())


def needs_vies_check(vat_number: str | None) -> bool:
    """Whether VIES is the one to vouch for this number: another EU member state's."""
    if not vat_number:
        return False
    country = vat_country(compact_vat(vat_number))
    return country in EU_COUNTRIES and country != HOME_COUNTRY


def gate_applies(categories: Iterable[str], buyer_vat: str | None) -> bool:
    return bool(VIES_CATEGORIES & set(categories)) and needs_vies_check(buyer_vat)


# --- Checking a customer's number ---------------------------------------------------------


@dataclass(frozen=True)
class CustomerCheck:
    """A recorded check, detached from any session (what the CLI prints)."""

    customer_number: str
    vat_number: str
    status: VatCheckStatus
    checked_at: datetime
    name: str | None = None
    address: str | None = None
    reason: str | None = None

    def message(self) -> str:
        if self.status is VatCheckStatus.VALID:
            who = self.name or tr("nom non communiqué par l'État membre",
                                  "name not disclosed by the member state")
            return tr(f"VIES : {self.vat_number} valide — {who}.",
                      f"VIES: {self.vat_number} valid — {who}.")
        if self.status is VatCheckStatus.INVALID:
            return tr(
                f"Attention : VIES déclare le numéro de TVA {self.vat_number} invalide "
                f"({self.reason}). Vérification consignée ; l'autoliquidation sera refusée "
                "tant que le numéro n'est pas corrigé.",
                f"Warning: VIES says VAT number {self.vat_number} is invalid ({self.reason}). "
                "Check recorded; reverse charge will be refused until the number is fixed.")
        return tr(f"VIES : impossible de vérifier {self.vat_number} pour l'instant — réessayer "
                  f"plus tard ({self.reason}).",
                  f"VIES: could not verify {self.vat_number} — retry later ({self.reason}).")


def check_customer_vat(factory: sessionmaker[Session], customer_number: str,
                       checker: VatChecker, *, actor: str = "system",
                       clock: Callable[[], datetime] = utcnow) -> CustomerCheck:
    """Ask VIES about the customer's VAT number and record the answer (valid, invalid or
    unverified: VIES down is recorded too, it never raises)."""
    with factory() as session:
        customer_id = get_customer(session, customer_number).id
    return _check_and_record(factory, customer_id, checker, actor=actor, clock=clock)


def _check_and_record(factory: sessionmaker[Session], customer_id: int, checker: VatChecker, *,
                      actor: str, clock: Callable[[], datetime]) -> CustomerCheck:
    with factory() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        number, vat = customer.number, customer.vat_number
    if not vat:
        raise ValidationError(f"Le client {number} n'a pas de numéro de TVA à vérifier.",
                              f"Customer {number} has no VAT number to check.")
    result = checker.check_vat(vat[:2], vat)  # no transaction is open while VIES thinks
    checked_at = clock()
    with transaction(factory) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        record_vat_check(session, customer, vat_number=vat, status=result.status.value,
                         checked_at=checked_at, name=result.name, address=result.address,
                         request_date=result.request_date, reason=result.reason,
                         from_cache=result.from_cache, actor=actor)
    return CustomerCheck(number, compact_vat(vat), VatCheckStatus(result.status.value),
                         checked_at, result.name, result.address, result.reason)


# --- Re-checking before an issuing transaction ---------------------------------------------


def refresh_buyer_check(factory: sessionmaker[Session], customer_number: str,
                        categories: Iterable[str], checker: VatChecker, *,
                        policy: ViesPolicy | None = None,
                        actor: str = "system") -> CustomerCheck | None:
    """Re-check the buyer when the invoice needs VIES and the latest check will not do."""
    policy = policy or ViesPolicy.from_settings()
    with factory() as session:
        customer = find_customer(session, customer_number)  # as issuing will find it
        if not gate_applies(categories, customer.vat_number):
            return None
        assert customer.vat_number is not None
        assessment = assess_vat_check(latest_vat_check(session, customer.id),
                                      customer.vat_number, now=policy.clock(),
                                      max_age=policy.max_age)
        customer_id = customer.id
    if not assessment.worth_rechecking:
        return None
    return _check_and_record(factory, customer_id, checker, actor=actor, clock=policy.clock)


def refresh_for_input(factory: sessionmaker[Session], data: InvoiceInput | Mapping[str, Any],
                      checker: VatChecker, *, policy: ViesPolicy | None = None,
                      actor: str = "system") -> CustomerCheck | None:
    """`refresh_buyer_check` for invoice input (what `issue_checked` will be given)."""
    checked = parse_input(InvoiceInput, data)
    categories = {parse_category(x.vat_category).value
                  for x in (*checked.lines, *checked.adjustments)}
    return refresh_buyer_check(factory, checked.customer, categories, checker, policy=policy,
                               actor=actor)


def refresh_for_draft(factory: sessionmaker[Session], draft_id: int, checker: VatChecker, *,
                      policy: ViesPolicy | None = None,
                      actor: str = "system") -> CustomerCheck | None:
    """`refresh_buyer_check` for a stored draft, before `issue_draft` numbers it."""
    with factory() as session:
        draft = session.get(Invoice, draft_id)
        data = draft.draft_input if draft is not None else None
    if data is None:
        return None  # nothing to refresh; issuing will say what is wrong
    return refresh_for_input(factory, data, checker, policy=policy, actor=actor)


# --- The gate, inside the issuing transaction -----------------------------------------------


@dataclass(frozen=True)
class ViesClearance:
    """How an issued invoice stood with VIES; `warning` is set when it went unverified."""

    customer_number: str
    vat_number: str
    standing: Standing
    checked_at: datetime | None = None
    reason: str | None = None
    days: int = field(default=30)

    @property
    def warning(self) -> str | None:
        vat, day = self.vat_number, f"{self.checked_at:%Y-%m-%d}" if self.checked_at else ""
        if self.standing is Standing.UNVERIFIED:
            return tr(f"Attention : VIES n'a pas pu vérifier le numéro de TVA {vat} le {day} "
                      f"({self.reason}) ; facture émise, fait consigné au journal d'audit.",
                      f"Warning: VIES could not verify VAT number {vat} on {day} "
                      f"({self.reason}); invoice issued, fact recorded in the audit trail.")
        if self.standing is Standing.STALE:
            return tr(f"Attention : la dernière vérification VIES de {vat} date du {day} (plus "
                      f"de {self.days} jours) ; facture émise sans nouvelle vérification, fait "
                      "consigné au journal d'audit.",
                      f"Warning: the last VIES check of {vat} is from {day} (over {self.days} "
                      "days); invoice issued without a new check, fact recorded in the audit "
                      "trail.")
        if self.standing is Standing.MISSING:
            return tr(f"Attention : le numéro de TVA {vat} n'a jamais été vérifié auprès de "
                      "VIES ; facture émise, fait consigné au journal d'audit.",
                      f"Warning: VAT number {vat} was never checked with VIES; invoice issued, "
                      "fact recorded in the audit trail.")
        return None


def _refusal(customer_number: str, assessment: VatCheckAssessment, days: int) -> ViesRefusal:
    vat, check = assessment.vat_number, assessment.check
    fix = f"liasse customers vat-check {customer_number}"
    if check is not None and assessment.standing is Standing.INVALID:
        day = f"{check.checked_at:%Y-%m-%d}"
        answer = check.reason or tr("numéro inconnu", "unknown number")
        return ViesRefusal(
            f"Facture refusée : VIES déclare le numéro de TVA {vat} du client {customer_number} "
            f"invalide (vérifié le {day} : {answer}) ; corrigez le numéro puis lancez « {fix} ».",
            f"Invoice refused: VIES says VAT number {vat} of customer {customer_number} is "
            f"invalid (checked on {day}: {answer}); fix the number, then run '{fix}'.")
    return ViesRefusal(
        f"Facture refusée : aucune vérification VIES de moins de {days} jours pour le numéro "
        f"de TVA {vat} du client {customer_number} ; lancez « {fix} ».",
        f"Invoice refused: no VIES check younger than {days} days for VAT number {vat} of "
        f"customer {customer_number}; run '{fix}'.")


def clear_invoice(session: Session, invoice: Invoice,
                  policy: ViesPolicy | None = None) -> ViesClearance | None:
    """Refuse an AE/K invoice to an EU buyer VIES calls invalid; audit an unverified one.

    Database-only (the caller's transaction; re-checking is `refresh_*`'s job, before it).
    None when the invoice does not rest on an EU buyer's VAT number.
    """
    if invoice.kind is not InvoiceKind.INVOICE:
        return None  # a credit note cancels what was invoiced: never held back
    categories = {x.vat_category for x in (*invoice.lines, *invoice.adjustments)}
    vat = invoice.buyer.get("vat_number")
    if not gate_applies(categories, vat):
        return None
    policy = policy or ViesPolicy.from_settings()
    customer_number = invoice.buyer.get("customer_number") or str(invoice.customer_id)
    days = policy.max_age.days
    assessment = assess_vat_check(latest_vat_check(session, invoice.customer_id), vat,
                                  now=policy.clock(), max_age=policy.max_age)
    if assessment.blocks or (policy.require_fresh and assessment.standing in (
            Standing.MISSING, Standing.STALE)):
        raise _refusal(customer_number, assessment, days)
    check = assessment.check
    clearance = ViesClearance(customer_number, assessment.vat_number, assessment.standing,
                              check.checked_at if check else None,
                              check.reason if check else None, days)
    if assessment.standing is not Standing.VALID:
        record(session, "invoice.vies_unverified", subject_type="invoice",
               subject_id=invoice.id, actor=invoice.issued_by or "system",
               customer_id=invoice.customer_id,
               data={"number": invoice.number, "vat_number": assessment.vat_number,
                     "standing": assessment.standing.value,
                     "checked_at": check.checked_at.isoformat() if check else None,
                     "reason": check.reason if check else None})
    return clearance
