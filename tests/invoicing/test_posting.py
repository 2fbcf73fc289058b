"""The one posting pipeline: an issued invoice is drawn once from its frozen seller, sealed,
checked and archived, and every later read returns those archived bytes.

Through the CLI as a new user runs it (`liasse invoices issue` on a fresh home), then through
`application.invoicing.posting` for the idempotency of each recorded stage.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from facturx import get_xml_from_pdf
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import func, select

from application.invoicing import posting
from application.services import build_services
from application.settings import Settings
from dossiers.archive.models import ArchivedDocument
from dossiers.audit.models import AuditEvent

DEMO_PROFILE = Path(__file__).parents[2] / "documents" / "profiles" / "demo.yaml"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def other_profile(tmp_path: Path) -> Path:
    """The demo company renamed: what a change of the company profile after issue looks like."""
    custom = tmp_path / "acme.yaml"
    custom.write_text(DEMO_PROFILE.read_text().replace("name: Éditions Liasse", "name: ACME Presse")
                      .replace("logo_path: logo.svg\n", ""))
    return custom


def seller_in_xml(pdf: bytes) -> str:
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    names = etree.fromstring(xml).findall(f".//{{{RAM}}}SellerTradeParty/{{{RAM}}}Name")
    return names[0].text


def page_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def signature_count(pdf: bytes) -> int:
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    return sum(1 for f in fields.values() if f.get("/FT") == "/Sig")


def test_issue_leaves_a_sealed_archived_pdf_that_never_changes(
        cli, make_customer, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    customer = make_customer(email="compta@client.example")
    issued = cli("invoices", "issue", "--customer", customer.number, "--date", "2026-03-02",
                 "--line", "Abonnement Revue|2|45.50|S|2.1|kind=subscription")
    assert issued.exit_code == 0, issued.output
    assert "F2026-00001" in issued.text and "archivée" in issued.text, issued.output

    with db() as s:
        archived = s.scalars(select(ArchivedDocument)).all()
    assert [(a.document_type, a.document_number) for a in archived] == [
        ("invoice", "F2026-00001")]

    first = tmp_path / "first.pdf"
    assert cli("invoices", "render", "F2026-00001", "-o", str(first)).exit_code == 0
    pdf = first.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == archived[0].sha256  # the archived bytes
    assert signature_count(pdf) == 1  # the company seal
    assert seller_in_xml(pdf) == "Éditions Liasse"
    assert "Éditions Liasse" in page_text(pdf)  # page and XML name the same seller

    # The company profile changes after issue: the issued invoice does not.
    monkeypatch.setenv("LIASSE_COMPANY_PROFILE", str(other_profile(tmp_path)))
    from liasse.cli import environment

    environment.clear_caches()
    again = tmp_path / "again.pdf"
    assert cli("invoices", "render", "F2026-00001", "-o", str(again)).exit_code == 0
    assert again.read_bytes() == pdf
    shown = tmp_path / "shown.pdf"
    assert cli("invoices", "show", "F2026-00001", "--pdf", str(shown)).exit_code == 0
    assert shown.read_bytes() == pdf
    assert "ACME Presse" not in page_text(again.read_bytes())

    # A new invoice, issued under the new profile, names the new seller on page and XML.
    cli("invoices", "issue", "--customer", customer.number, "--date", "2026-03-03",
        "--line", "Livre|1|24.90|S|5.5")
    newer = tmp_path / "newer.pdf"
    assert cli("invoices", "render", "F2026-00002", "-o", str(newer)).exit_code == 0
    assert seller_in_xml(newer.read_bytes()) == "ACME Presse"
    assert "ACME Presse" in page_text(newer.read_bytes())


def test_each_stage_runs_once_and_is_recorded(cli, make_customer, db, tmp_path: Path) -> None:
    customer = make_customer(email="compta@client.example")
    services = build_services(Settings(home=tmp_path), factory=db, chorus=None, vies=None,
                              actor="test")
    number = posting.issue(services, {"customer": customer.number, "lines": [
        {"description": "Livre", "quantity": "1", "unit_price": "24.90", "vat_rate": "5.5"}],
    }).invoice.number
    assert number is not None
    rendered = posting.render(services, number)
    assert posting.render(services, number) == rendered  # drawn once
    posted = posting.post(services, number)
    assert posting.post(services, number) == posted  # archived once
    assert posting.mail(services, number) == posting.mail(services, number)  # mailed once
    with db() as s:
        stages = s.execute(select(AuditEvent.action, func.count()).where(
            AuditEvent.subject_type == "invoice", AuditEvent.action.like("invoice.%ed"))
            .group_by(AuditEvent.action)).all()
        archived = s.scalar(select(func.count()).select_from(ArchivedDocument))
    expected = {"invoice.rendered": 1, "invoice.sealed": 1, "invoice.archived": 1,
                "invoice.mailed": 1}
    assert {action: n for action, n in stages if action in expected} == expected
    assert archived == 1
    assert hashlib.sha256(posting.issued_pdf(services, number)).hexdigest() == posted.sha256
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    # The blobs are dropped once archived: the archive holds the only copy.
    assert not services.blobs.exists(rendered)


def test_cli_lines_say_subscription_beneficiary_exemption_and_charges(
        cli, make_customer, db) -> None:
    """What only a YAML file could say before: the kind of a line (the subscription discount
    applies), its beneficiary, an exemption reason, and document-level charges/allowances."""
    from dossiers.errors import ValidationError
    from dossiers.invoicing.models import Invoice

    payer = make_customer(email="compta@payeur.example", discount_subscriptions_pct="10")
    issued = cli("invoices", "issue", "--customer", payer.number, "--date", "2026-03-02",
                 "--line", "Revue|1|100|S|2.1|kind=subscription",
                 "--line", "Conférence|1|600|E|0|exemption_reason=Exonération, art. 261-4-4° "
                 "du CGI",
                 "--charge", "6|Frais de port|20|FC", "--allowance", "5|Remise fidélité|2.1|95")
    assert issued.exit_code == 0, issued.output
    with db() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.number == "F2026-00001")).one()
        revue, conference = invoice.lines
        assert revue.discount_pct == 10  # the customer's subscription discount
        assert conference.vat_category == "E"
        assert [r["exemption_reason"] for r in invoice.vat_breakdown
                if r["category"] == "E"] == ["Exonération, art. 261-4-4° du CGI"]
        adjustments = sorted((a.is_charge, a.amount, a.reason) for a in invoice.adjustments)
    assert adjustments == [(False, 5, "Remise fidélité"), (True, 6, "Frais de port")]
    unknown = cli("invoices", "issue", "--customer", payer.number,
                  "--line", "Revue|1|100|S|2.1|colour=blue")
    assert isinstance(unknown.exception, ValidationError)  # a refusal (exit 10 through main)
    assert "colour" in str(unknown.exception) and "beneficiary" in str(unknown.exception)
