"""One invoice from data to the customer: issue (through the Factur-X gate), render, seal,
archive once, send. The customer-file walk (chapter 4) runs these stages one circuit step at a
time; the invoicing batch (chapter 5) runs them back to back with `publish`.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from connectors.archive import ArchiveSettings, LocalFolderArchive
from connectors.mail import make_mailer
from documents.facturx.check import check_facturx
from dossiers.archive import Archive, archive_document
from dossiers.invoicing.models import Invoice, InvoiceKind
from dossiers.invoicing.queries import get_invoice
from liasse.demo.context import Demo, IssuedDocument
from liasse.invoice_documents import credit_checked, issue_checked, render


def open_archive(demo: Demo) -> Archive:
    """The embedded default: the local write-once folder under the home folder."""
    policy = ArchiveSettings().retention_policy()
    return Archive(db=demo.factory, backend=LocalFolderArchive(demo.archive_dir), policy=policy)


def issue(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    """Issue an invoice (validated XSD + EN 16931 + BR-FR before commit) and render its PDF."""
    with demo.tx() as s:
        number = issue_checked(s, data, demo.profile, actor=actor).invoice.number
    return _rendered(demo, number)


def credit(demo: Demo, data: dict[str, Any], *, actor: str) -> IssuedDocument:
    with demo.tx() as s:
        number = credit_checked(s, data, actor=actor).invoice.number
    return _rendered(demo, number)


def _rendered(demo: Demo, number: str | None) -> IssuedDocument:
    assert number is not None
    with demo.factory() as s:
        invoice = get_invoice(s, number)
        pdf = render(invoice, demo.profile).pdf
        doc = _describe(invoice, demo)
    doc.pdf_path.write_bytes(pdf)
    demo.issued.append(doc)
    return doc


def _describe(invoice: Invoice, demo: Demo) -> IssuedDocument:
    kind = "credit_note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "invoice"
    return IssuedDocument(
        number=invoice.number or "", kind=kind, invoice_id=invoice.id,
        customer_number=invoice.buyer["customer_number"], buyer=invoice.buyer_name,
        grand_total=str(invoice.grand_total), pdf_path=demo.pdf_dir / f"{invoice.number}.pdf",
        facturx_ok=False,
    )




def seal(demo: Demo, doc: IssuedDocument) -> None:
    """Apply the company seal (PAdES) when the signing package offers it; check Factur-X."""
    try:
        from signing.pades.seal import seal_pdf
    except ImportError:  # signing not installed: the invoice stays unsealed
        seal_pdf = None
    if seal_pdf is not None:
        doc.pdf_path.write_bytes(seal_pdf(doc.pdf_path.read_bytes(), reason="Facture émise"))
    doc.facturx_ok = check_facturx(doc.pdf_path.read_bytes()).ok


def archive(demo: Demo, doc: IssuedDocument, archive: Archive | None = None) -> int:
    """Archive the final PDF; archiving the same bytes again returns the same record."""
    with demo.factory() as s:
        invoice = get_invoice(s, doc.number)
        issue_date, customer_id = invoice.issue_date, invoice.customer_id
    row = archive_document(
        archive or open_archive(demo), document_type=doc.kind, document_id=doc.invoice_id,
        document_number=doc.number, issue_date=issue_date, content=doc.pdf_path.read_bytes(),
        customer_id=customer_id, actor="demo:archive",
    )
    doc.archive_id = row.id
    return row.id


def send(demo: Demo, doc: IssuedDocument) -> str:
    """E-mail the PDF to the buyer (embedded default: an `.eml` file in the outbox)."""
    with demo.factory() as s:
        invoice = get_invoice(s, doc.number)
        to, language = invoice.buyer.get("email"), invoice.language
    message = EmailMessage()
    label = "Invoice" if language == "en" else "Facture"
    if doc.kind == "credit_note":
        label = "Credit note" if language == "en" else "Avoir"
    message["Subject"] = f"{label} {doc.number} — {demo.profile.name}"
    message["To"] = to or demo.profile.email
    message.set_content(
        f"Please find attached {label.lower()} {doc.number}.\n" if language == "en" else
        f"Veuillez trouver ci-joint {label.lower()} {doc.number}.\n"
    )
    message.add_attachment(doc.pdf_path.read_bytes(), maintype="application", subtype="pdf",
                           filename=doc.pdf_path.name)
    mailer = make_mailer(demo.factory, demo.outbox_dir)
    return mailer.send(message, f"invoice-mail:{doc.number}")


def publish(demo: Demo, doc: IssuedDocument) -> None:
    """Seal, archive and send one issued document, as the invoice steps of a circuit do."""
    seal(demo, doc)
    archive(demo, doc)
    send(demo, doc)
