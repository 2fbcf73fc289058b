"""One invoice from data to the customer, as the product does it (`flows.actions.invoices`):
issue through the Factur-X gate, render, seal, archive once, send. The customer-file walk
(chapter 4) lets the file engine run these stages one circuit step at a time; the invoicing
batch (chapter 5) runs them back to back with `publish`. This module only keeps the demo's
bookkeeping: where each PDF is written and what the summary counts.
"""

from __future__ import annotations

from typing import Any

from dossiers.archive import Archive
from dossiers.invoicing.queries import get_invoice
from flows.actions import ActionContext, build_context
from flows.actions import invoices as product
from liasse.demo.context import Demo, IssuedDocument
from liasse.settings import get_settings


def actions(demo: Demo) -> ActionContext:
    """The product's action context on the demo's home (archive folder, outbox, blobs)."""
    if demo.actions is None:
        demo.actions = build_context(get_settings(), factory=demo.factory, chorus=None)
        demo.actions.actor = "demo:flow"
    return demo.actions


def open_archive(demo: Demo) -> Archive:
    """The embedded default: the local write-once folder under the home folder."""
    return actions(demo).archive


def issue(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    """Issue an invoice (validated XSD + EN 16931 + BR-FR before commit) and render its PDF."""
    return rendered(demo, product.issue_checked_now(actions(demo), data, actor=actor))


def credit(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    return rendered(demo, product.credit_checked_now(actions(demo), data, actor=actor))


def rendered(demo: Demo, number: str, pdf: bytes | None = None) -> IssuedDocument:
    """Note an issued document for the summary; its PDF (rendered unless given) goes to pdf/."""
    with demo.factory() as s:
        invoice = get_invoice(s, number)
        doc = IssuedDocument(
            number=number, kind=product.document_kind(invoice), invoice_id=invoice.id,
            customer_number=invoice.buyer["customer_number"], buyer=invoice.buyer_name,
            grand_total=str(invoice.grand_total), pdf_path=demo.pdf_dir / f"{number}.pdf",
            facturx_ok=False,
        )
    doc.pdf_path.write_bytes(pdf if pdf is not None else product.render_pdf(actions(demo),
                                                                            number))
    doc.facturx_ok = product.facturx_ok(doc.pdf_path.read_bytes())
    demo.issued.append(doc)
    return doc


def seal(demo: Demo, doc: IssuedDocument) -> None:
    """Apply the company seal (PAdES); the Factur-X stays valid."""
    doc.pdf_path.write_bytes(product.seal(doc.pdf_path.read_bytes()))
    doc.facturx_ok = product.facturx_ok(doc.pdf_path.read_bytes())


def archive(demo: Demo, doc: IssuedDocument) -> int:
    """Archive the final PDF; archiving the same bytes again returns the same record."""
    row = product.archive(actions(demo), doc.number, doc.pdf_path.read_bytes())
    doc.archive_id = row.id
    return row.id


def send(demo: Demo, doc: IssuedDocument) -> str:
    """E-mail the PDF to the buyer (embedded default: an `.eml` file in the outbox)."""
    return product.send(actions(demo), doc.number, doc.pdf_path.read_bytes())


def publish(demo: Demo, doc: IssuedDocument) -> None:
    """Seal, archive and send one issued document, as the invoice steps of a circuit do."""
    seal(demo, doc)
    archive(demo, doc)
    send(demo, doc)
