"""Chapter 5: an invoicing batch through the Factur-X gate.

Every invoice goes through `issue_checked` (XSD + EN 16931 + BR-FR validated before commit, so
a non-compliant invoice takes no number), is rendered as a Factur-X PDF/A-3, sealed, archived
once and e-mailed. The batch covers the VAT situations of a French publisher: the four French
rates, a customer discount, a third-party payer naming its beneficiaries, reverse charge for a
German company, a public buyer with its legal commitment and service code, a partial credit
note — and a refused input that takes no number.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from sqlalchemy import func, select

from dossiers.errors import LiasseError
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice
from liasse.demo import invoice_pipeline as pipeline
from liasse.demo.state import Demo, IssuedDocument

ACTOR = "m.rousseau"
PUBLIC_PO = "EJ-UL-2026-001"  # a legal commitment the public buyer registered on Chorus Pro


def _line(description: str, quantity: str, price: str, rate: str, **extra: Any) -> dict:
    return {"description": description, "quantity": quantity, "unit_price": price,
            "vat_rate": rate, **extra}


def batch(demo: Demo) -> list[tuple[str, dict[str, Any]]]:
    c = demo.customers
    return [
        (tr("quatre taux de TVA et la remise du client", "four VAT rates and the customer's "
            "discount"), {"customer": c["company"], "lines": [
            _line("Abonnement « Revue des libraires » (12 numéros)", "2", "89.00", "2.1",
                  kind="subscription", unit_code="ANN"),
            _line("Guide pratique de la facturation électronique", "10", "32.00", "5.5"),
            _line("Déjeuner de la journée de formation", "6", "24.00", "10", kind="service"),
            _line("Formation « Factur-X en pratique » (1 jour)", "1", "650.00", "20",
                  kind="service"),
        ]}),
        (tr("tiers payant : bénéficiaires nommés sur les lignes", "third-party payer: "
            "beneficiaries named on lines"), {"customer": c["payer"], "lines": [
            _line("Adhésion annuelle et revue « Enseigner »", "1", "120.00", "2.1",
                  kind="subscription", beneficiary=c["beneficiary1"]),
            _line("Adhésion annuelle et revue « Enseigner »", "1", "120.00", "2.1",
                  kind="subscription", beneficiary=c["beneficiary2"]),
        ]}),
        (tr("acheteur allemand : autoliquidation", "German buyer: reverse charge"),
         {"customer": c["eu"], "lines": [
             _line("Training: French e-invoicing in practice (2 days, remote)", "1", "1400.00",
                   "0", vat_category="AE", kind="service"),
         ]}),
        (tr("acheteur public : engagement juridique et code service", "public buyer: legal "
            "commitment and service code"), {"customer": c["public"], "po_number": PUBLIC_PO,
            "service_code": "ACHATS", "lines": [
            _line("Abonnement institutionnel « Revue Liasse » — 12 accès", "1", "1450.00",
                  "2.1", kind="subscription", unit_code="ANN"),
            _line("Ouvrages pour la bibliothèque universitaire", "25", "28.50", "5.5"),
        ]}),
    ]


def issue_batch(demo: Demo) -> None:
    demo.chapter(5, "Facturation : un lot Factur-X validé", "Invoicing: a validated Factur-X batch")
    for label, data in batch(demo):
        doc = pipeline.issue(demo, data, actor=ACTOR)
        pipeline.publish(demo, doc)
        _show(demo, doc, label)
        if data["customer"] == demo.customers["public"]:
            demo.facts["public_invoice"] = doc.number
        if data["customer"] == demo.customers["company"]:
            demo.facts["company_invoice"] = doc.number
    note = pipeline.credit(demo, {
        "invoice": demo.facts["company_invoice"], "reason": "Retour de 3 guides abîmés",
        "lines": [{"position": 2, "quantity": "3"}]}, actor=ACTOR)
    pipeline.publish(demo, note)
    _show(demo, note, tr(f"avoir partiel sur {demo.facts['company_invoice']}",
                         f"partial credit note on {demo.facts['company_invoice']}"))
    _archive_once_more(demo, note)
    _refuse_beneficiary(demo)
    _table(demo)


def _show(demo: Demo, doc: IssuedDocument, label: str) -> None:
    check = "[green]Factur-X OK[/]" if doc.facturx_ok else "[red]Factur-X KO[/]"
    demo.console.print(f"  [green]✓[/] {doc.number} — {doc.buyer} — {doc.grand_total} € — "
                       f"{label} — {check}", highlight=False)
    demo.detail(demo.relative(doc.pdf_path))


def _archive_once_more(demo: Demo, doc: IssuedDocument) -> None:
    first = doc.archive_id
    again = pipeline.archive(demo, doc)
    demo.detail(tr(f"archivé une seule fois : un second dépôt rend la même fiche (#{again})",
                   f"archived exactly once: depositing again returns the same record "
                   f"(#{again})"))
    assert first == again


def _refuse_beneficiary(demo: Demo) -> None:
    """Invoicing a beneficiary is refused before any number is taken."""
    before = _count(demo)
    try:
        pipeline.issue(demo, {"customer": demo.customers["beneficiary1"], "lines": [
            _line("Revue « Enseigner »", "1", "60.00", "2.1")]}, actor=ACTOR)
    except LiasseError as error:
        demo.refused("Facturer un bénéficiaire :", "Invoicing a beneficiary:", error.message)
    demo.detail(tr(f"aucun numéro consommé ({_count(demo)} pièces, comme avant)",
                   f"no number taken ({_count(demo)} documents, as before)"))
    assert _count(demo) == before


def _count(demo: Demo) -> int:
    with demo.factory() as s:
        return s.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.number.is_not(None))) or 0


def _table(demo: Demo) -> None:
    table = Table(tr("numéro", "number"), tr("type", "kind"), tr("client", "buyer"),
                  tr("TTC", "total"), "Factur-X", tr("archive", "archive"))
    for doc in demo.issued:
        kind = tr("avoir", "credit note") if doc.kind == "credit_note" else tr("facture",
                                                                                "invoice")
        table.add_row(doc.number, kind, doc.buyer, f"{doc.grand_total} €",
                      "✓" if doc.facturx_ok else "✗", f"#{doc.archive_id}")
    demo.console.print(table)
