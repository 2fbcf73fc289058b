"""Commercial documents, contracts with signature boxes, label sheets and form letters."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from documents.commercial import (
    OrderAcknowledgement,
    OrderForm,
    OrderLine,
    OverdueInvoice,
    PaymentReminder,
    RenewalNotice,
    render_order_acknowledgement,
    render_order_form,
    render_payment_reminder,
    render_renewal_notice,
)
from documents.contracts import Clause, Contract, Signer, render_contract
from documents.errors import DocumentError
from documents.labels import AVERY_3653, AVERY_L7159, LabelSheet, label_pages, render_labels
from documents.letters import FormLetter, merge_body, render_letter
from documents.postal_address import MAX_CHARS, PostalRecipient
from documents.profile import CompanyProfile
from documents.rendering import FONT_DIR, render_html

CUSTOMER = PostalRecipient(company="Librairie du Parc", title="Madame", name="Claire Martin",
                           street="8 avenue Jean Jaurès", postcode="75019", city="Paris")
ORDER = OrderForm("BC-2026-0007", date(2026, 3, 2), CUSTOMER,
                  (OrderLine("Abonnement annuel", Decimal(2), Decimal("89.00"), Decimal("2.1")),
                   OrderLine("Reliure", Decimal(1), Decimal("19.90"), Decimal("20"))),
                  customer_number="C000123")


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_order_form_and_acknowledgement(profile: CompanyProfile) -> None:
    assert ORDER.total_incl_vat == Decimal("178.00") + Decimal("3.74") + Decimal("19.90") \
        + Decimal("3.98")
    text = text_of(render_order_form(ORDER, profile))
    assert "Bon de commande n° BC-2026-0007" in text
    assert "MME CLAIRE MARTIN" in text and "75019 PARIS" in text
    assert "Total TTC 205,62 €" in text
    ack = text_of(render_order_acknowledgement(
        OrderAcknowledgement(ORDER, date(2026, 3, 3), date(2026, 3, 10)), profile))
    assert "votre commande n° BC-2026-0007 du 02/03/2026" in ack
    assert "Livraison prévue le 10 mars 2026" in ack


def test_renewal_notice_and_reminder_in_both_languages(profile: CompanyProfile) -> None:
    notice = RenewalNotice("REN-1", date(2026, 2, 1), CUSTOMER, "Revue Liasse", date(2026, 2, 28),
                           date(2026, 3, 1), date(2027, 2, 28), Decimal("89.00"), Decimal("2.1"),
                           date(2026, 2, 20))
    assert "arrive à échéance le 28 février 2026" in text_of(render_renewal_notice(notice, profile))
    reminder = PaymentReminder("REL-1", date(2026, 5, 2), CUSTOMER, (
        OverdueInvoice("FA-2026-000101", date(2026, 3, 2), date(2026, 4, 1), Decimal("1234.50")),
    ), level=3, language="en")
    text = text_of(render_payment_reminder(reminder, profile))
    assert "Formal notice to pay" in text and "€1,234.50" in text
    assert "fixed recovery indemnity of €40.00" in text
    with pytest.raises(DocumentError, match="Niveau de relance"):
        render_payment_reminder(PaymentReminder("R", date(2026, 5, 2), CUSTOMER,
                                                reminder.invoices, level=4), profile)


def _real_position(cm: list[float], tm: list[float]) -> tuple[float, float]:
    x, y = tm[4], tm[5]
    return cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]


def test_contract_signature_boxes_match_the_printed_boxes(profile: CompanyProfile) -> None:
    contract = Contract(
        "CT-2026-0001", "Contrat d'abonnement", date(2026, 3, 2), CUSTOMER,
        tuple(Clause(f"Clause {i}", "Le présent contrat a pour objet l'abonnement. " * 40)
              for i in range(4)),
        (Signer("Claire Martin", "Le client"), Signer("Paul Roux", "Pour Éditions Liasse"),
         Signer("Inès Garnier", "Témoin")),
    )
    rendered = render_contract(contract, profile)
    pages = PdfReader(io.BytesIO(rendered.pdf)).pages
    assert len(pages) >= 2
    assert {box.page_index for box in rendered.boxes} == {len(pages) - 1}
    captions: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.startswith("Signature "):
            captions[text.split(" – ")[0]] = _real_position(cm, tm)

    pages[-1].extract_text(visitor_text=visit)
    for box in rendered.boxes:
        x1, y1, x2, y2 = box.pdf_rect
        x, y = captions[f"Signature {box.index + 1}"]
        assert x1 < x < x2 and y1 < y < y2, (box.field_name, box.pdf_rect, (x, y))
    first, second, third = (b.pdf_rect for b in rendered.boxes)
    assert first[2] < second[0]  # side by side, not overlapping
    assert third[3] < first[1]  # next row below
    with pytest.raises(DocumentError, match="signataire"):
        render_contract(Contract("C", "T", date(2026, 1, 1), CUSTOMER, (), ()), profile)


@pytest.mark.parametrize("sheet", [AVERY_L7159, AVERY_3653], ids=lambda s: s.name)
def test_label_sheet_geometry(sheet: LabelSheet) -> None:
    sheet.check_fits_page()
    positions = [sheet.position(i) for i in range(sheet.labels_per_page)]
    assert len(set(positions)) == sheet.labels_per_page
    for left, top in positions:
        assert left >= 0 and left + sheet.label_width <= sheet.page_width + 0.01
        assert top >= 0 and top + sheet.label_height <= sheet.page_height + 0.01
    # Widest possible line (38 monospaced characters) fits inside the padded label.
    font = TTFont(Path(FONT_DIR) / "DejaVuSansMono.ttf")
    advance = font["hmtx"]["W"][0] / font["head"].unitsPerEm
    line_mm = MAX_CHARS * advance * sheet.font_size_pt * 25.4 / 72
    assert line_mm <= sheet.label_width - 2 * sheet.padding
    assert 6 * 1.2 * sheet.font_size_pt * 25.4 / 72 <= sheet.label_height - 2 * sheet.padding


def test_exact_avery_geometry() -> None:
    assert (AVERY_L7159.columns, AVERY_L7159.rows, AVERY_L7159.labels_per_page) == (3, 8, 24)
    assert AVERY_L7159.position(23) == (139.2, 250.2)
    assert (AVERY_3653.columns, AVERY_3653.rows, AVERY_3653.labels_per_page) == (2, 7, 14)
    assert AVERY_3653.position(13) == (105.0, 254.25)


def test_label_pages_count_and_skip(profile: CompanyProfile) -> None:
    recipients = [PostalRecipient(name=f"Abonné {i}", street=f"{i} rue de la Paix",
                                  postcode="75002", city="Paris") for i in range(30)]
    pages = label_pages(recipients, AVERY_L7159)
    assert [len(p) for p in pages] == [24, 6]
    skipped = label_pages(recipients, AVERY_3653, skip=10)
    assert [len(p) for p in skipped] == [4, 14, 12]
    assert (skipped[0][0]["left"], skipped[0][0]["top"]) == AVERY_3653.position(10)
    pdf = render_labels(recipients, AVERY_L7159, profile)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert round(float(box.width) * 25.4 / 72) == 210
    assert round(float(box.height) * 25.4 / 72) == 297
    assert reader.pages[1].extract_text().count("75002 PARIS") == 6


def test_labels_refuse_an_address_that_cannot_fit(profile: CompanyProfile) -> None:
    bad = PostalRecipient(name="X" * 50, postcode="75002", city="Paris")
    with pytest.raises(DocumentError, match="trop longue"):
        render_labels([bad], AVERY_3653, profile)


LETTER = FormLetter(
    "relance-douce",
    "Votre abonnement n° {{ customer.number }}",
    "{{ customer.title }} {{ customer.last_name }},\n\nVotre abonnement arrive à échéance. "
    "<b>Merci</b> de votre fidélité.",
)


def test_form_letter_merges_fields_and_escapes(profile: CompanyProfile) -> None:
    customer = {"number": "C000123", "title": "Madame", "last_name": "Martin"}
    pdf = render_letter(LETTER, customer, CUSTOMER, profile, on=date(2026, 3, 2))
    text = text_of(pdf)
    assert "Objet : Votre abonnement n° C000123" in text
    assert "Madame Martin," in text
    assert "<b>Merci</b>" in text  # staff text is printed, not interpreted as HTML


def test_form_letter_missing_fields_are_all_listed(profile: CompanyProfile) -> None:
    class Record:
        number = "C1"
        title = None
        last_name = "Martin"

    with pytest.raises(DocumentError) as caught:
        render_letter(FormLetter("x", "{{ customer.number }}",
                                 "{{ customer.title }} {{ customer.last_name }} "
                                 "{{ customer.city }}"),
                      Record(), CUSTOMER, profile, on=date(2026, 3, 2))
    assert "customer.title, customer.city" in caught.value.fr


def test_form_letter_sandbox_refuses_internals() -> None:
    with pytest.raises(DocumentError, match="interdite"):
        merge_body("{{ customer.__class__.__mro__ }}", object())
    with pytest.raises(DocumentError, match="interdite"):
        merge_body("{{ customer.name.__class__ }}", {"name": "x"})


def test_templates_refuse_missing_context(profile: CompanyProfile) -> None:
    with pytest.raises(DocumentError, match="Champ manquant"):
        render_html("order_form.html", {"address": ()}, profile=profile)
