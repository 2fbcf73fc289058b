"""VIES checks of customers' VAT numbers: recorded in the domain, asked by the application layer
and the CLI with the real zeep client over HTTP against the fake VIES, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from application.vies_checks import check_customer_vat, needs_vies_check
from connectors.vies import VatChecker
from connectors.vies.settings import ViesSettings
from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer, CustomerVatCheck, VatCheckStatus
from dossiers.customers.vat_checks import (
    Standing,
    assess_vat_check,
    latest_vat_check,
    record_vat_check,
)
from dossiers.db import transaction
from dossiers.errors import ValidationError
from liasse.cli import environment

from .support import count, customer_data

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MONTH = timedelta(days=30)


def _checks(db: sessionmaker[Session], number: str) -> list[CustomerVatCheck]:
    with db() as s:
        customer = s.scalars(select(Customer).where(Customer.number == number)).unique().one()
        return list(s.scalars(select(CustomerVatCheck).where(
            CustomerVatCheck.customer_id == customer.id).order_by(CustomerVatCheck.id)))


def _events(db: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with db() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- domain ----------------------------------------------------------------------------------


def test_record_keeps_history_and_audits(db, add_customer) -> None:
    c = add_customer(country="DE", postcode="10115", city="BERLIN", vat_number="DE136695976")
    with transaction(db) as s:
        customer = s.get(Customer, c.id)
        record_vat_check(s, customer, vat_number="de 136 695 976", status="unverified",
                         checked_at=NOW - timedelta(days=2), reason="MS_UNAVAILABLE",
                         actor="tester")
        record_vat_check(s, customer, vat_number="DE136695976", status=VatCheckStatus.VALID,
                         checked_at=NOW, name="ACME GMBH", actor="tester")
    with db() as s:
        latest = latest_vat_check(s, c.id)
        assert latest is not None and latest.status is VatCheckStatus.VALID
        assert (latest.vat_number, latest.registered_name) == ("DE136695976", "ACME GMBH")
    assert [x.status for x in _checks(db, c.number)] == [VatCheckStatus.UNVERIFIED,
                                                          VatCheckStatus.VALID]
    events = _events(db, "customer.vat_checked")
    assert [e.data["status"] for e in events] == ["unverified", "valid"]
    assert events[1].data["name"] == "ACME GMBH" and events[1].actor == "tester"


def test_record_refuses_bad_input_and_writes_nothing(db, add_customer) -> None:
    c = add_customer()
    for bad in ({"status": "maybe", "checked_at": NOW},
                {"status": "valid", "checked_at": NOW.replace(tzinfo=None)}):
        with pytest.raises(ValidationError), transaction(db) as s:
            record_vat_check(s, s.get(Customer, c.id), vat_number="DE136695976", **bad)
    assert _checks(db, c.number) == [] and _events(db, "customer.vat_checked") == []


def _check(status: VatCheckStatus, age: timedelta, vat: str = "BE0403019261"
           ) -> CustomerVatCheck:
    return CustomerVatCheck(vat_number=vat, status=status, checked_at=NOW - age)


@pytest.mark.parametrize(("check", "standing", "recheck"), [
    (None, Standing.MISSING, True),
    (_check(VatCheckStatus.VALID, timedelta(days=3), vat="BE0776091951"), Standing.MISSING, True),
    (_check(VatCheckStatus.VALID, timedelta(days=3)), Standing.VALID, False),
    (_check(VatCheckStatus.VALID, timedelta(days=31)), Standing.STALE, True),
    (_check(VatCheckStatus.UNVERIFIED, timedelta(hours=1)), Standing.UNVERIFIED, True),
    (_check(VatCheckStatus.INVALID, timedelta(days=1)), Standing.INVALID, False),
    (_check(VatCheckStatus.INVALID, timedelta(days=90)), Standing.INVALID, True),
])
def test_assessment_of_the_latest_check(check, standing, recheck) -> None:
    verdict = assess_vat_check(check, "be 0403.019.261", now=NOW, max_age=MONTH)
    assert verdict.standing is standing and verdict.worth_rechecking is recheck
    assert verdict.blocks is (standing is Standing.INVALID)


@pytest.mark.parametrize(("vat", "expected"), [
    ("DE136695976", True), ("EL094259216", True), ("FR40303265045", False),
    ("GB980780684", False), (None, False)])
def test_only_other_member_states_numbers_go_to_vies(vat, expected) -> None:
    assert needs_vies_check(vat) is expected


# --- application layer over HTTP ---------------------------------------------------------------


def test_check_customer_vat_records_what_vies_says(db, add_customer, vies_server,
                                                   fake_vies) -> None:
    c = add_customer(country="BE", postcode="1000", city="BRUSSEL", vat_number="BE0403019261")
    settings = ViesSettings(url=vies_server[1], timeout_seconds=2)
    result = check_customer_vat(db, c.number, VatChecker(settings=settings), actor="tester",
                                clock=lambda: NOW)
    assert result.status is VatCheckStatus.VALID and result.name == "NV BRASSERIE EXEMPLE"
    fake_vies.country_faults["BE"] = "MS_UNAVAILABLE"  # a fresh checker: no cached answer
    down = check_customer_vat(db, c.number, VatChecker(settings=settings), clock=lambda: NOW)
    assert down.status is VatCheckStatus.UNVERIFIED and "MS_UNAVAILABLE" in (down.reason or "")
    rows = _checks(db, c.number)
    assert [(r.status, r.registered_name) for r in rows] == [
        (VatCheckStatus.VALID, "NV BRASSERIE EXEMPLE"), (VatCheckStatus.UNVERIFIED, None)]
    assert rows[0].request_date is not None and rows[0].checked_at == NOW


def test_a_customer_without_vat_number_is_refused(db, add_customer, checker, fake_vies) -> None:
    c = add_customer()
    with pytest.raises(ValidationError, match="pas de numéro de TVA"):
        check_customer_vat(db, c.number, checker)
    assert fake_vies.requests == 0


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(cli, staff: None, vies_server, monkeypatch: pytest.MonkeyPatch):
    """The shared CLI fixture, with VIES answered by the fake VIES server."""
    monkeypatch.setenv("LIASSE_VIES_URL", vies_server[1])
    monkeypatch.setenv("LIASSE_VIES_TIMEOUT_SECONDS", "2")
    environment.clear_caches()
    return cli


BELGIAN = ["customers", "add", "--sales-rep", "rep1", "--company", "--company-name",
           "Brasserie Exemple", "--street", "GROTE MARKT 1", "--postcode", "1000", "--city",
           "BRUSSEL", "--country", "BE"]


def _only_customer(db: sessionmaker[Session]) -> str:
    with db() as s:
        return s.scalars(select(Customer.number)).one()


def test_add_with_a_valid_eu_number_records_the_registered_name(cli, db, fake_vies) -> None:
    result = cli(*BELGIAN, "--vat", "BE 0403.019.261")
    assert result.exit_code == 0, result.output
    assert "BE0403019261 valide" in result.text and "NV BRASSERIE EXEMPLE" in result.text
    [check] = _checks(db, _only_customer(db))
    assert check.status is VatCheckStatus.VALID
    assert check.registered_name == "NV BRASSERIE EXEMPLE" and "BRUSSEL" in (
        check.registered_address or "")
    show = cli("customers", "show", _only_customer(db))
    assert "VIES : valid BE0403019261" in show.text and "NV BRASSERIE EXEMPLE" in show.text


def test_add_with_an_invalid_number_warns_and_records(cli, db, fake_vies) -> None:
    result = cli(*BELGIAN, "--vat", "BE0776091951")
    assert result.exit_code == 0, result.output  # the customer is kept
    assert "Attention" in result.text and "BE0776091951 invalide" in result.text
    [check] = _checks(db, _only_customer(db))
    assert check.status is VatCheckStatus.INVALID and "BE0776091951" in (check.reason or "")


def test_vies_down_gives_unverified_and_the_customer_is_created(cli, db, fake_vies) -> None:
    fake_vies.country_faults["BE"] = "MS_UNAVAILABLE"
    result = cli(*BELGIAN, "--vat", "BE0403019261")
    assert result.exit_code == 0, result.output
    assert "impossible de vérifier" in result.text and "réessayer plus tard" in result.text
    [check] = _checks(db, _only_customer(db))
    assert check.status is VatCheckStatus.UNVERIFIED and "MS_UNAVAILABLE" in (check.reason or "")
    fake_vies.country_faults.clear()
    again = cli("customers", "vat-check", _only_customer(db))
    assert again.exit_code == 0 and "valide" in again.text
    assert [c.status for c in _checks(db, _only_customer(db))] == [VatCheckStatus.UNVERIFIED,
                                                                   VatCheckStatus.VALID]


def test_no_vies_and_french_numbers_do_not_call_vies(cli, db, fake_vies) -> None:
    offline = cli(*BELGIAN, "--vat", "BE0403019261", "--no-vies")
    assert offline.exit_code == 0 and "VIES" not in offline.text
    french = cli("customers", "add", "--sales-rep", "rep1", "--last-name", "Dupont",
                 "--vat", "FR44732829320")
    assert french.exit_code == 0 and "VIES" not in french.text
    assert fake_vies.requests == 0
    with db() as s:
        assert count(s, CustomerVatCheck) == 0


def test_update_of_the_vat_number_is_checked(cli, db, add_customer, fake_vies) -> None:
    c = add_customer(**customer_data(last_name="Schmidt", country="DE", postcode="10115",
                                     city="BERLIN"))
    unrelated = cli("customers", "update", c.number, "city=MUNCHEN", "postcode=80331")
    assert unrelated.exit_code == 0 and fake_vies.requests == 0
    result = cli("customers", "update", c.number, "vat_number=DE136695976")
    assert result.exit_code == 0, result.output
    assert "DE136695976 valide" in result.text and "non communiqué" in result.text
    [check] = _checks(db, c.number)
    assert check.status is VatCheckStatus.VALID and check.registered_name is None
    refused = cli("customers", "vat-check", add_customer().number)
    assert refused.exit_code != 0 and fake_vies.requests == 1
