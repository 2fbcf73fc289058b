"""The VIES gate before reverse charge (AE) and intra-EU supplies (K) to EU buyers, on both
databases, with the real zeep client over HTTP against the fake VIES.

Only VIES's "invalid" refuses (nothing issued, no number taken); a check VIES could not do, or
one that is missing/stale with no checker, lets the invoice go with an audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from application.invoicing.issuing import (
    check_before_commit,
    credit_checked,
    issue_checked,
    issue_with_vies,
    seller_from_profile,
)
from application.vies_checks import ViesPolicy, ViesRefusal, refresh_for_draft
from documents.profile import demo_profile
from dossiers.audit import AuditEvent, verify
from dossiers.customers.models import Customer, CustomerVatCheck, VatCheckStatus
from dossiers.customers.vat_checks import Standing, record_vat_check
from dossiers.db import transaction
from dossiers.invoicing.drafts import issue_draft, save_draft
from dossiers.invoicing.models import Invoice, InvoiceCounter
from liasse.cli import environment

UNKNOWN_BE = "BE0776091951"  # well-formed, not registered in the fake VIES
KNOWN_BE = "BE0403019261"  # NV BRASSERIE EXEMPLE


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy(clock: Clock) -> ViesPolicy:
    return ViesPolicy(max_age=timedelta(days=30), clock=clock)


def _data(customer: str, category: str = "AE") -> dict[str, Any]:
    return {"customer": customer, "lines": [
        {"description": "Formation Factur-X (2 jours)", "quantity": "1", "unit_price": "1400",
         "vat_category": category, "vat_rate": "0", "kind": "service"}]}


def _eu_buyer(make_customer, vat: str) -> Customer:
    return make_customer(vat_number=vat, country="BE", postcode="1000", city="BRUSSEL",
                         siret=None, email="ap@buyer.example", invoice_language="en")


def _record(db: sessionmaker[Session], customer: Customer, status: VatCheckStatus,
            at: datetime, reason: str | None = None) -> None:
    with transaction(db) as s:
        record_vat_check(s, s.get(Customer, customer.id), vat_number=customer.vat_number or "",
                         status=status, checked_at=at, reason=reason, actor="tester")


def _state(db: sessionmaker[Session]) -> tuple[int, int, int]:
    """(invoices, numbers handed out, audit events)."""
    with db() as s:
        invoices = s.scalar(select(func.count()).select_from(Invoice)) or 0
        numbers = s.scalar(select(func.coalesce(func.sum(InvoiceCounter.last_number), 0))) or 0
        events = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return invoices, numbers, events


def _unverified_events(db: sessionmaker[Session]) -> list[AuditEvent]:
    with db() as s:
        return list(s.scalars(select(AuditEvent).where(
            AuditEvent.action == "invoice.vies_unverified")))


def _checks(db: sessionmaker[Session]) -> list[CustomerVatCheck]:
    with db() as s:
        return list(s.scalars(select(CustomerVatCheck).order_by(CustomerVatCheck.id)))


def test_invalid_last_check_refuses_reverse_charge_and_takes_no_number(
        db, make_customer, checker, fake_vies, policy, clock) -> None:
    buyer = _eu_buyer(make_customer, UNKNOWN_BE)
    _record(db, buyer, VatCheckStatus.INVALID, clock.now - timedelta(days=2),
            reason=f"VIES ne connaît pas le numéro de TVA {UNKNOWN_BE}.")
    before = _state(db)
    with pytest.raises(ViesRefusal) as refused:
        issue_with_vies(db, _data(buyer.number), demo_profile(), checker=checker, vies=policy)
    message = str(refused.value)
    assert UNKNOWN_BE in message and "invalide" in message and "ne connaît pas" in message
    assert buyer.number in message
    assert fake_vies.requests == 0  # a fresh "invalid" is VIES's last word: not asked again
    with pytest.raises(ViesRefusal), transaction(db) as s:  # the flows' path: no checker
        issue_checked(s, _data(buyer.number, "K"), demo_profile(), vies=policy)
    assert _state(db) == before


def test_an_old_invalid_answer_is_asked_again(db, make_customer, checker, fake_vies, policy,
                                              clock) -> None:
    buyer = _eu_buyer(make_customer, KNOWN_BE)  # registered since
    _record(db, buyer, VatCheckStatus.INVALID, clock.now - timedelta(days=45))
    checked = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=checker,
                              vies=policy)
    assert checked.invoice.number and checked.vies and checked.vies.standing is Standing.VALID
    assert fake_vies.requests == 1 and _checks(db)[-1].status is VatCheckStatus.VALID


def test_vies_down_issues_unverified_with_an_audit_event(db, make_customer, checker, fake_vies,
                                                         policy) -> None:
    buyer = _eu_buyer(make_customer, KNOWN_BE)
    fake_vies.country_faults["BE"] = "MS_UNAVAILABLE"
    checked = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=checker,
                              vies=policy)
    assert checked.invoice.number is not None and checked.report.ok
    assert checked.vies is not None and checked.vies.standing is Standing.UNVERIFIED
    assert "MS_UNAVAILABLE" in (checked.vies.warning or "")
    [check] = _checks(db)
    assert check.status is VatCheckStatus.UNVERIFIED
    [event] = _unverified_events(db)
    assert event.data["number"] == checked.invoice.number
    assert event.data["standing"] == "unverified" and event.subject_id == str(checked.invoice.id)
    assert "MS_UNAVAILABLE" in event.data["reason"]
    with db() as s:
        assert verify(s).ok


def test_a_stale_check_is_redone_before_issuing(db, make_customer, checker, fake_vies, policy,
                                                clock) -> None:
    buyer = _eu_buyer(make_customer, UNKNOWN_BE)  # valid 40 days ago, unknown to VIES today
    _record(db, buyer, VatCheckStatus.VALID, clock.now - timedelta(days=40))
    before = _state(db)
    with pytest.raises(ViesRefusal, match=UNKNOWN_BE):
        issue_with_vies(db, _data(buyer.number, "K"), demo_profile(), checker=checker,
                        vies=policy)
    assert fake_vies.requests == 1
    assert [c.status for c in _checks(db)] == [VatCheckStatus.VALID, VatCheckStatus.INVALID]
    assert _state(db)[:2] == before[:2]  # refused: no invoice, no number (the check is kept)


def test_a_fresh_valid_check_is_not_asked_again(db, make_customer, checker, fake_vies, policy,
                                                clock) -> None:
    buyer = _eu_buyer(make_customer, KNOWN_BE)
    _record(db, buyer, VatCheckStatus.VALID, clock.now - timedelta(days=29))
    checked = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=checker,
                              vies=policy)
    assert checked.vies is not None and checked.vies.warning is None
    assert fake_vies.requests == 0 and _unverified_events(db) == []


def test_without_a_checker_missing_or_stale_is_unverified_or_refused_when_strict(
        db, make_customer, policy, clock) -> None:
    buyer = _eu_buyer(make_customer, KNOWN_BE)
    checked = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=None,
                              vies=policy)
    assert checked.vies is not None and checked.vies.standing is Standing.MISSING
    assert "jamais été vérifié" in (checked.vies.warning or "")
    _record(db, buyer, VatCheckStatus.VALID, clock.now - timedelta(days=31))
    stale = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=None, vies=policy)
    assert stale.vies is not None and stale.vies.standing is Standing.STALE
    assert [e.data["standing"] for e in _unverified_events(db)] == ["missing", "stale"]
    before = _state(db)
    strict = ViesPolicy(max_age=timedelta(days=30), require_fresh=True, clock=clock)
    with pytest.raises(ViesRefusal, match="moins de 30 jours"):
        issue_with_vies(db, _data(buyer.number), demo_profile(), checker=None, vies=strict)
    assert _state(db) == before


def test_the_gate_leaves_other_invoices_and_credit_notes_alone(
        db, make_customer, checker, fake_vies, policy, clock) -> None:
    buyer = _eu_buyer(make_customer, UNKNOWN_BE)
    _record(db, buyer, VatCheckStatus.VALID, clock.now)
    checked = issue_with_vies(db, _data(buyer.number), demo_profile(), checker=checker,
                              vies=policy)
    _record(db, buyer, VatCheckStatus.INVALID, clock.now)  # found invalid afterwards
    with transaction(db) as s:  # cancelling the reverse-charge invoice is never held back
        note = credit_checked(s, {"invoice": checked.invoice.number, "reason": "Annulation"})
    assert note.invoice.number and note.vies is None
    french = make_customer(email="compta@client.example")  # French buyer, standard VAT
    plain = issue_with_vies(db, _data(french.number, "S") | {"lines": [
        {"description": "Livre", "quantity": "1", "unit_price": "20", "vat_rate": "5.5"}]},
        demo_profile(), checker=checker, vies=policy)
    assert plain.vies is None and fake_vies.requests == 0


def test_drafts_issued_by_the_flows_pass_the_same_gate(db, make_customer, checker, fake_vies,
                                                       policy) -> None:
    buyer = _eu_buyer(make_customer, UNKNOWN_BE)
    seller = seller_from_profile(demo_profile())
    with transaction(db) as s:
        draft_id = save_draft(s, _data(buyer.number, "K"), seller).id
    refreshed = refresh_for_draft(db, draft_id, checker, policy=policy)
    assert refreshed is not None and refreshed.status is VatCheckStatus.INVALID
    before = _state(db)
    with pytest.raises(ViesRefusal), transaction(db) as s:
        check_before_commit(issue_draft(s, draft_id, seller), vies=policy)
    assert _state(db) == before
    with db() as s:
        assert s.get(Invoice, draft_id).number is None


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(cli, vies_server, monkeypatch: pytest.MonkeyPatch):
    """The shared CLI fixture, with VIES answered by the fake VIES server."""
    monkeypatch.setenv("LIASSE_VIES_URL", vies_server[1])
    monkeypatch.setenv("LIASSE_VIES_TIMEOUT_SECONDS", "2")
    environment.clear_caches()
    return cli


def test_cli_issue_refuses_invalid_and_warns_unverified(cli, db, make_customer, fake_vies,
                                                        tmp_path: Path) -> None:
    bad = _eu_buyer(make_customer, UNKNOWN_BE)
    file = tmp_path / "invoice.yaml"
    file.write_text(yaml.safe_dump(_data(bad.number)), encoding="utf-8")
    before = _state(db)
    refused = cli("invoices", "issue", str(file))
    assert refused.exit_code != 0 and isinstance(refused.exception, ViesRefusal)
    assert UNKNOWN_BE in str(refused.exception)
    assert _state(db)[:2] == before[:2] and fake_vies.requests == 1  # checked, then refused
    good = _eu_buyer(make_customer, KNOWN_BE)
    fake_vies.country_faults["BE"] = "SERVICE_UNAVAILABLE"
    issued = cli("invoices", "issue", "--customer", good.number, "--line",
                 "Training|1|1400|AE|0")
    assert issued.exit_code == 0, issued.output
    assert "F20" in issued.text and "n'a pas pu vérifier" in issued.text
    offline = cli("invoices", "issue", "--customer", good.number, "--line",
                  "Training|1|1400|AE|0", "--no-vies")
    assert offline.exit_code == 0 and fake_vies.requests == 2  # --no-vies: VIES not asked
    assert [e.data["standing"] for e in _unverified_events(db)] == ["unverified", "unverified"]
