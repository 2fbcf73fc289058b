"""Issuing invoices: each VAT situation, discounts, allowances/charges, due date, parties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.invoicing.models import Invoice, InvoiceCounter, InvoiceState

D = Decimal


TODAY = date(2026, 3, 2)  # the `issue` fixture's default issue date
CustomerFactory = Callable[..., Customer]


def _line(price: str, qty: str = "1", cat: str = "S", rate: str = "20", **kw: Any) -> dict:
    return {"description": "Revue", "quantity": qty, "unit_price": price, "vat_category": cat,
            "vat_rate": rate, **kw}


@pytest.mark.parametrize(("rate", "vat"), [("20", "20.00"), ("10", "10.00"), ("5.5", "5.50"),
                                           ("2.1", "2.10")])
def test_standard_and_reduced_rates(issue, make_customer, seller, rate, vat) -> None:
    c = make_customer()
    inv = issue(customer=c.number, lines=[_line("100", rate=rate)])
    assert inv.number == "F2026-00001" and inv.state is InvoiceState.ISSUED
    assert inv.type_code == "380"
    assert (inv.tax_basis_total, inv.tax_total) == (D("100.00"), D(vat))
    assert inv.grand_total == D("100.00") + D(vat) == inv.due_payable_amount
    assert inv.vat_breakdown == [{"category": "S", "rate": rate, "taxable_amount": "100.00",
                                  "tax_amount": vat, "exemption_code": None,
                                  "exemption_reason": None}]


def test_mixed_rates_breakdown_and_rounding(issue, make_customer, seller) -> None:
    c = make_customer()
    inv = issue(customer=c.number, lines=[
        _line("33.333", qty="3", rate="5.5"), _line("19.99", rate="20"), _line("7.05", rate="2.1"),
        _line("0.01", qty="7", rate="5.5")])
    assert [ln.net_amount for ln in inv.lines] == [D("100.00"), D("19.99"), D("7.05"), D("0.07")]
    rows = {(r["category"], r["rate"]): (r["taxable_amount"], r["tax_amount"])
            for r in inv.vat_breakdown}
    assert rows == {("S", "20"): ("19.99", "4.00"), ("S", "5.5"): ("100.07", "5.50"),
                    ("S", "2.1"): ("7.05", "0.15")}
    assert inv.tax_total == D("9.65") and inv.grand_total == D("136.76")


def test_zero_rated_has_no_exemption_reason(issue, make_customer, seller) -> None:
    inv = issue(customer=make_customer().number,
                 lines=[_line("50", cat="Z", rate="0")])
    assert inv.tax_total == D("0.00")
    assert inv.vat_breakdown[0]["exemption_reason"] is None


def test_exempt_needs_a_reason(issue, make_customer, seller) -> None:
    c = make_customer()
    with pytest.raises(ValidationError, match="motif d'exonération"):
        issue(customer=c.number, lines=[_line("50", cat="E", rate="0")])
    inv = issue(customer=c.number, lines=[
        _line("50", cat="E", rate="0", exemption_reason="Exonération, article 261-4-4° du CGI")])
    assert inv.vat_breakdown[0]["exemption_reason"].startswith("Exonération, article 261")
    assert inv.number == "F2026-00001"  # the refused attempt took no number


def test_reverse_charge_needs_both_vat_numbers(issue, make_customer, seller) -> None:
    be = make_customer(vat_number="BE0403019261", country="BE", siret=None)
    inv = issue(customer=be.number, lines=[_line("1000", cat="AE", rate="0")])
    row = inv.vat_breakdown[0]
    assert (row["category"], row["tax_amount"], row["exemption_code"]) == ("AE", "0.00",
                                                                           "VATEX-EU-AE")
    assert row["exemption_reason"] == "Autoliquidation"
    no_vat = make_customer(vat_number=None)
    with pytest.raises(ValidationError, match="Autoliquidation"):
        issue(customer=no_vat.number, lines=[_line("10", cat="AE", rate="0")])


def test_intra_eu_supply_needs_a_foreign_eu_vat_number(issue, make_customer, seller) -> None:
    de = make_customer(vat_number="DE136695976", country="DE", siret=None)
    inv = issue(customer=de.number, lines=[_line("200", cat="K", rate="0")])
    assert inv.vat_breakdown[0]["exemption_code"] == "VATEX-EU-IC"
    assert inv.delivery_date == TODAY  # BR-IC-11 needs a delivery date
    french = make_customer()
    with pytest.raises(ValidationError, match="autre État membre"):
        issue(customer=french.number, lines=[_line("10", cat="K", rate="0")])


def test_export_outside_the_eu_needs_only_the_seller_vat_number(
    issue, db: sessionmaker[Session], make_customer, seller
) -> None:
    swiss = make_customer(vat_number=None, siret=None, country="CH", postcode="1003")
    inv = issue(customer=swiss.number, lines=[_line("300", cat="G", rate="0")])
    assert inv.vat_breakdown[0]["exemption_code"] == "VATEX-EU-G"  # default reason, BR-G-10
    assert (inv.tax_total, inv.grand_total) == (D("0.00"), D("300.00"))
    with pytest.raises(ValidationError, match="taux possibles : 0"):
        issue(customer=swiss.number, lines=[_line("300", cat="G", rate="20")])  # BR-G-05
    from dossiers.invoicing.service import issue_invoice

    with transaction(db) as s, pytest.raises(ValidationError, match="numéro de TVA du vendeur"):
        issue_invoice(s, {"customer": swiss.number, "lines": [_line("300", cat="G", rate="0")]},
                      replace(seller, vat_number=None), today=TODAY)  # BR-G-02


def test_outside_scope_cannot_mix(issue, make_customer, seller) -> None:
    c = make_customer()
    with pytest.raises(ValidationError, match="hors champ"):
        issue(customer=c.number,
               lines=[_line("10", cat="O", rate="0"), _line("10")])


def test_customer_default_discounts(issue, make_customer, seller) -> None:
    c = make_customer(discount_subscriptions_pct=D("10"), discount_items_pct=D("5"))
    inv = issue(customer=c.number, lines=[
        _line("120", kind="subscription", rate="2.1"), _line("40", kind="item"),
        _line("40", kind="item", discount_pct="0")])
    assert [ln.discount_pct for ln in inv.lines] == [D("10"), D("5"), D("0")]
    assert [ln.net_amount for ln in inv.lines] == [D("108.00"), D("38.00"), D("40.00")]
    assert inv.line_total == D("186.00")


def test_allowances_and_charges(issue, make_customer, seller) -> None:
    c = make_customer()
    inv = issue(customer=c.number, lines=[_line("100"), _line("200", rate="5.5")],
                 adjustments=[
                     {"amount": "10", "reason": "Remise fidélité", "reason_code": "95"},
                     {"amount": "8.50", "reason": "Frais de port", "is_charge": True,
                      "reason_code": "FC", "vat_rate": "5.5"}])
    assert (inv.line_total, inv.allowance_total, inv.charge_total) == (
        D("300.00"), D("10.00"), D("8.50"))
    assert inv.tax_basis_total == D("298.50")
    rows = {r["rate"]: (r["taxable_amount"], r["tax_amount"]) for r in inv.vat_breakdown}
    assert rows == {"20": ("90.00", "18.00"), "5.5": ("208.50", "11.47")}
    assert inv.grand_total == D("327.97")


def test_due_date_and_payment_terms(issue, make_customer, seller) -> None:
    inv = issue(customer=make_customer(payment_term_days=45).number,
                 lines=[_line("10")])
    assert inv.due_date == date(2026, 4, 16)
    assert "45 jours" in inv.payment_terms
    assert {n["code"] for n in inv.notes} >= {"PMT", "PMD", "AAB"}
    assert inv.payment_means_code == "58" and inv.payee_iban == seller.iban


def test_direct_debit_uses_the_mandate(issue, make_customer, seller) -> None:
    c = make_customer(payment_method="prelevement", mandate_reference="RUM-2026-0001",
                      iban="FR7630006000011234567890189")
    inv = issue(customer=c.number, lines=[_line("10")])
    assert (inv.payment_means_code, inv.mandate_reference, inv.creditor_id, inv.debtor_iban) == (
        "59", "RUM-2026-0001", "FR12ZZZ123456", "FR7630006000011234567890189")


def test_public_buyer_po_and_service_code(issue, make_customer, seller) -> None:
    c = make_customer(is_public_buyer=True, service_code="SERVICE-ACHATS")
    inv = issue(customer=c.number, lines=[_line("10")], po_number="EJ-2026-000123")
    assert (inv.po_number, inv.service_code) == ("EJ-2026-000123", "SERVICE-ACHATS")
    with pytest.raises(ValidationError, match="bon de commande"):
        issue(customer=c.number, lines=[_line("10")], po_number="X" * 51)


def test_third_party_payer_with_beneficiaries(issue, make_customer, seller) -> None:
    payer = make_customer(type=CustomerType.THIRD_PARTY_PAYER, company_name="OFUP")
    b1 = make_customer(type=CustomerType.BENEFICIARY, payer_id=payer.id, company_name=None,
                       last_name="Durand", first_name="Paul")
    b2 = make_customer(type=CustomerType.BENEFICIARY, payer_id=payer.id, company_name="Lycée Hugo")
    other = make_customer(type=CustomerType.BENEFICIARY, payer_id=None)
    inv = issue(customer=payer.number, lines=[
        _line("80", kind="subscription", rate="2.1", beneficiary=b1.number),
        _line("80", kind="subscription", rate="2.1", beneficiary=b2.number)])
    assert inv.buyer["name"] == "OFUP" and inv.customer_id == payer.id
    assert [ln.beneficiary_name for ln in inv.lines] == ["Paul Durand", "Lycée Hugo (Anne Martin)"]
    with pytest.raises(ValidationError, match="n'est pas un bénéficiaire"):
        issue(customer=payer.number, lines=[_line("1", beneficiary=other.number)])
    normal = make_customer()
    with pytest.raises(ValidationError, match="Seul un tiers payant"):
        issue(customer=normal.number, lines=[_line("1", beneficiary=b1.number)])


def test_beneficiary_prospect_and_struck_off_are_never_invoiced(
    issue, db: sessionmaker[Session], make_customer, seller
) -> None:
    payer = make_customer(type=CustomerType.THIRD_PARTY_PAYER)
    cases = {
        "payé par": make_customer(type=CustomerType.BENEFICIARY, payer_id=payer.id),
        "prospect": make_customer(type=CustomerType.PROSPECT),
        "radié": make_customer(state=CustomerState.STRUCK_OFF),
    }
    for words, customer in cases.items():
        with pytest.raises(ValidationError, match=words) as err:
            issue(customer=customer.number, lines=[_line("10")])
        if words == "payé par":
            assert payer.number in str(err.value)
    _assert_nothing_issued(db)


def _assert_nothing_issued(db: sessionmaker[Session]) -> None:
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Invoice)) == 0
        assert s.scalar(select(func.coalesce(func.max(InvoiceCounter.last_number), 0))) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(("line", "message"), [
    (_line("10", qty="-1"), "Quantité -1 refusée"),
    (_line("10", qty="0"), "Quantité 0 refusée"),
    (_line("10", cat="X"), "Catégorie de TVA inconnue"),
    (_line("10", rate="19.6"), "Taux de TVA 19.6 % non autorisé"),
    (_line("10", cat="Z", rate="5.5"), "non autorisé pour la catégorie Z"),
    (_line("10", cat="S", exemption_reason="x"), "ne prend pas de motif"),
    (_line("abc"), "prix unitaire"),
])
def test_bad_lines_are_refused_and_take_no_number(issue, db, make_customer, line,
                                                  message) -> None:
    c = make_customer()
    with pytest.raises(ValidationError, match=message):
        issue(customer=c.number, lines=[_line("5"), line])
    _assert_nothing_issued(db)


def test_invalid_buyer_vat_number_is_refused(issue, db, make_customer) -> None:
    c = make_customer(vat_number="FR00303265045")
    with pytest.raises(ValidationError, match="TVA"):
        issue(customer=c.number, lines=[_line("10")])
    _assert_nothing_issued(db)


def test_english_invoice_language(issue, make_customer, seller) -> None:
    c = make_customer(invoice_language="en", vat_number="BE0403019261", country="BE", siret=None)
    inv = issue(customer=c.number, lines=[_line("10", cat="AE", rate="0")])
    assert inv.language == "en"
    assert inv.vat_breakdown[0]["exemption_reason"] == "Reverse charge"
    assert inv.notes[0]["text"].startswith("Fixed recovery")


def test_issue_records_an_audit_event(issue, db, make_customer) -> None:
    inv = issue(customer=make_customer().number, lines=[_line("10")])
    with db() as s:
        event = s.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject_id, event.actor) == ("invoice.issued", str(inv.id),
                                                             "tester")
    assert event.data["number"] == inv.number and event.data["grand_total"] == "12.00"
