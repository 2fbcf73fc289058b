"""The demo's invoices go through the product's one posting pipeline
(`application.invoicing.posting`): issue through the gates, render once, seal, check, archive,
route. The customer-file walk (chapter 4) lets the file engine run these stages one circuit step
at a time; the invoicing batch (chapter 5) calls `post` and `route` back to back. This module
only keeps the demo's bookkeeping: a copy of each final PDF under `pdf/` (read back from the
archive) and what the summary counts.
"""

from __future__ import annotations

from typing import Any

from application.invoicing import posting
from application.services import Services, build_services
from application.settings import Settings
from documents.facturx.check import check_facturx
from dossiers.archive import Archive
from dossiers.invoicing.queries import get_invoice
from liasse.demo.state import Demo, IssuedDocument


def actions(demo: Demo) -> Services:
    """The product's services on the demo's home (archive folder, outbox, blobs)."""
    if demo.actions is None:
        demo.actions = build_services(Settings(), factory=demo.factory, chorus=None,
                                      vies=None, actor="demo:flow")
    return demo.actions


def open_archive(demo: Demo) -> Archive:
    """The embedded default: the local write-once folder under the home folder."""
    return actions(demo).archive


def issue(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    """Issue an invoice (validated XSD + EN 16931 + BR-FR before commit)."""
    number = posting.issue(actions(demo), data, actor=actor).invoice.number
    assert number is not None
    return noted(demo, number)


def credit(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    number = posting.credit(actions(demo), data, actor=actor).invoice.number
    assert number is not None
    return noted(demo, number)


def noted(demo: Demo, number: str) -> IssuedDocument:
    """Note an issued document for the summary; its PDF goes to pdf/ once it is posted."""
    with demo.factory() as s:
        invoice = get_invoice(s, number)
        doc = IssuedDocument(
            number=number, kind=posting.document_kind(invoice), invoice_id=invoice.id,
            customer_number=invoice.buyer["customer_number"], buyer=invoice.buyer_name,
            grand_total=str(invoice.grand_total), pdf_path=demo.pdf_dir / f"{number}.pdf",
            facturx_ok=False,
        )
    demo.issued.append(doc)
    return doc


def copy_final_pdf(demo: Demo, doc: IssuedDocument) -> None:
    """Write the posted document's final bytes (the archived ones) to pdf/ for the reader."""
    pdf = posting.issued_pdf(actions(demo), doc.number)
    doc.pdf_path.write_bytes(pdf)
    doc.facturx_ok = check_facturx(pdf).ok


def publish(demo: Demo, doc: IssuedDocument) -> None:
    """Post (render once, seal, check, archive) and e-mail one issued document. The public
    buyer's Chorus Pro deposit, the other channel `posting.route` would take, is chapter 6's
    (`posting.deposit`, once the fake Chorus Pro runs)."""
    doc.archive_id = posting.post(actions(demo), doc.number).archive_id
    posting.mail(actions(demo), doc.number)
    copy_final_pdf(demo, doc)


def archive(demo: Demo, doc: IssuedDocument) -> int:
    """Archive again: the pipeline finds its record and returns the same archive entry."""
    return posting.archive(actions(demo), doc.number).id
