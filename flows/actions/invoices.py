"""One invoice from data to the customer: issue through the Factur-X gate, render, seal,
archive once, send, deposit. Shared by the file actions (one stage per circuit step) and by
invoicing batches outside any file (the demo's chapter 5 calls `publish`).

Idempotency: issuing is keyed by the file's draft (a draft is numbered once); the archive by
(document id, content hash); the mail by `invoice-mail:<number>`; the deposit by the Chorus Pro
deposit record of the invoice number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from connectors.chorus_pro import Depositor, DepositOutcome, DepositRequest
from documents.facturx.check import check_facturx
from documents.profile import CompanyProfile
from dossiers.archive import ArchivedDocument, archive_document
from dossiers.db import transaction
from dossiers.deposits import DepositState
from dossiers.invoicing.drafts import issue_draft, save_draft
from dossiers.invoicing.models import Invoice, InvoiceKind
from dossiers.invoicing.queries import get_invoice
from flows.actions.context import ActionContext, ActionFailed
from flows.actions.links import link, linked
from liasse.invoice_documents import (
    check_before_commit,
    credit_checked,
    issue_checked,
    render,
    seller_from_profile,
)


def document_kind(invoice: Invoice) -> str:
    return "credit_note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "invoice"


def prepare_for_file(session: Session, file_id: int, data: Mapping[str, Any],
                     profile: CompanyProfile, *, actor: str) -> Invoice:
    """Store what the file will invoice (a draft: no number yet); render issues it."""
    draft = save_draft(session, data, seller_from_profile(profile), actor=actor)
    link(session, file_id, "invoice_draft", {"invoice_id": draft.id}, actor=actor,
         customer_id=draft.customer_id)
    return draft


def issue_for_file(ctx: ActionContext, file_id: int) -> str:
    """Number the file's draft (validated XSD + EN 16931 + BR-FR before commit), once."""
    with transaction(ctx.factory) as s:
        draft = linked(s, file_id, "invoice_draft")
        if draft is None:
            raise ActionFailed(
                f"Le dossier {file_id} n'a pas de facture préparée : rien à émettre.",
                f"File {file_id} has no prepared invoice: nothing to issue.")
        invoice = s.get(Invoice, draft["invoice_id"])
        if invoice is not None and invoice.number is not None:
            return invoice.number  # issued by an earlier attempt
        issued = issue_draft(s, draft["invoice_id"], seller_from_profile(ctx.profile),
                             actor=ctx.actor, today=ctx.clock().date())
        check_before_commit(issued)
        assert issued.number is not None
        return issued.number


def render_pdf(ctx: ActionContext, number: str) -> bytes:
    with ctx.factory() as s:
        return render(get_invoice(s, number), ctx.profile).pdf


def seal(pdf: bytes) -> bytes:
    """The company seal (PAdES) on an issued invoice; the Factur-X stays valid."""
    from signing.pades.seal import seal_pdf

    return seal_pdf(pdf, reason="Facture émise")


def facturx_ok(pdf: bytes) -> bool:
    return check_facturx(pdf).ok


def archive(ctx: ActionContext, number: str, pdf: bytes) -> ArchivedDocument:
    """Archive the final PDF; the same bytes again return the same record (no second put)."""
    with ctx.factory() as s:
        invoice = get_invoice(s, number)
        kind, invoice_id = document_kind(invoice), invoice.id
        issue_date, customer_id = invoice.issue_date, invoice.customer_id
    return archive_document(ctx.archive, document_type=kind, document_id=invoice_id,
                            document_number=number, issue_date=issue_date, content=pdf,
                            customer_id=customer_id, actor=ctx.actor)


def send(ctx: ActionContext, number: str, pdf: bytes) -> str:
    """E-mail the PDF to the buyer, once per invoice number (the mail ledger's key)."""
    with ctx.factory() as s:
        invoice = get_invoice(s, number)
        to, language, kind = invoice.buyer.get("email"), invoice.language, document_kind(invoice)
    english = language == "en"
    label = "Invoice" if english else "Facture"
    if kind == "credit_note":
        label = "Credit note" if english else "Avoir"
    message = EmailMessage()
    message["Subject"] = f"{label} {number} — {ctx.profile.name}"
    message["To"] = to or ctx.profile.email
    message.set_content(f"Please find attached {label.lower()} {number}.\n" if english else
                        f"Veuillez trouver ci-joint {label.lower()} {number}.\n")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{number}.pdf")
    return ctx.mailer.send(message, f"invoice-mail:{number}")


def deposit(ctx: ActionContext, number: str, pdf: bytes, customer_id: int) -> DepositOutcome:
    """Deposit on Chorus Pro after the preflight checks; at most once per invoice number."""
    with ctx.chorus_client() as client:
        depositor = Depositor(ctx.factory, client, check_facturx, clock=ctx.clock)
        outcome = depositor.deposit(DepositRequest(number, pdf, customer_id=customer_id))
    if outcome.state is DepositState.TO_FIX:
        raise ActionFailed(f"Dépôt Chorus Pro de {number} à corriger : {outcome.reason}",
                           f"Chorus Pro deposit of {number} needs fixing: {outcome.reason}")
    return outcome


def issue_checked_now(ctx: ActionContext, data: Mapping[str, Any], *, actor: str | None = None,
                      today: date | None = None) -> str:
    """Issue an invoice outside a file (batches): numbered only if Factur-X validates."""
    with transaction(ctx.factory) as s:
        number = issue_checked(s, data, ctx.profile, actor=actor or ctx.actor,
                               today=today).invoice.number
    assert number is not None
    return number


def credit_checked_now(ctx: ActionContext, data: Mapping[str, Any], *,
                       actor: str | None = None) -> str:
    """Issue a credit note (whole invoice, some lines or an amount), Factur-X checked."""
    with transaction(ctx.factory) as s:
        number = credit_checked(s, data, actor=actor or ctx.actor).invoice.number
    assert number is not None
    return number
