"""Posting an invoice: the one way every caller turns invoice data into a delivered document.

Odoo's `action_post` is the model: the circuit's invoice steps, the dispute steps, the demo and
`liasse invoices issue|post` all go through these functions, so the rules hold on every path:

1. **issue** (`issue`, `issue_draft`, `credit`, `reissue`): VIES re-check where the VAT regime
   rests on the buyer's EU number (no transaction open while VIES answers), then one
   transaction that numbers the invoice and runs the VIES and Factur-X gates before commit: a
   refusal takes no number.
2. **render once** (`render`): the Factur-X PDF/A-3 drawn from the seller and buyer frozen at
   issue. Recorded (`invoice.rendered`, with the PDF's digest): an issued invoice is never
   drawn twice, so a later change of the company profile cannot change it.
3. **seal** (`seal`): the company seal (PAdES, from `services.seal`), then the sealed file is
   checked again as a Factur-X (`invoice.sealed`).
4. **archive** (`archive`): the sealed bytes, once (`invoice.archived`); from then on
   `issued_pdf` returns the archived bytes, hash-checked.
5. **route** (`route`, or one channel: `mail`, `deposit`): e-mail to the buyer (once per
   invoice, by the mail ledger's key), Chorus Pro for public buyers (at most once, by the
   deposit record). Paper comes with the print centre.

`post` runs 2-4; each stage first looks for its own record and does nothing twice, so any of
them can be re-run after a crash. Produced PDFs wait in the blob store until archived, then
the blobs are dropped: the archive holds the only copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from application.errors import ActionFailed
from application.invoicing.facturx_mapping import render as render_facturx
from application.invoicing.facturx_mapping import seller_from_profile
from application.invoicing.issuing import (
    Checked,
    check_before_commit,
    credit_checked,
    issue_checked,
    reissue_checked,
)
from application.services import Services
from application.vies_checks import ViesPolicy, refresh_for_draft, refresh_for_input
from connectors.chorus_pro import Depositor, DepositOutcome, DepositRequest
from documents.facturx.check import check_facturx
from documents.profile import CompanyProfile
from dossiers.archive import ArchivedDocument, archive_document, get_document
from dossiers.audit import record
from dossiers.audit.models import AuditEvent
from dossiers.chorus_deposits import DepositState
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.files.artifacts import files_linking, link, linked
from dossiers.i18n import tr
from dossiers.invoicing.credit import CreditInput
from dossiers.invoicing.drafts import issue_draft as number_draft
from dossiers.invoicing.drafts import save_draft
from dossiers.invoicing.inputs import InvoiceInput
from dossiers.invoicing.models import Invoice, InvoiceKind
from dossiers.invoicing.queries import get_invoice

Data = InvoiceInput | Mapping[str, Any]


class Stage(StrEnum):
    """The recorded stages of a posted invoice (audit actions, subject the invoice)."""

    RENDERED = "invoice.rendered"
    SEALED = "invoice.sealed"
    ARCHIVED = "invoice.archived"
    MAILED = "invoice.mailed"


@dataclass(frozen=True)
class Posted:
    """An invoice rendered, sealed and archived: its archive record and the bytes' digest."""

    number: str
    archive_id: int
    sha256: str


def document_kind(invoice: Invoice) -> str:
    return "credit_note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "invoice"


# --- 1. issue -------------------------------------------------------------------------------


def _policy(services: Services) -> ViesPolicy:
    return ViesPolicy.from_settings(clock=services.clock)


def issue(services: Services, data: Data, *, actor: str | None = None,
          today: Any = None, recheck_vies: bool = True) -> Checked:
    """Number an invoice from its data, through the VIES and Factur-X gates."""
    actor = actor or services.actor
    policy = _policy(services)
    if recheck_vies and services.vies is not None:
        refresh_for_input(services.factory, data, services.vies, policy=policy, actor=actor)
    with transaction(services.factory) as session:
        return issue_checked(session, data, services.profile, actor=actor, today=today,
                             vies=policy)


def file_invoice(session: Session, file_id: int) -> Invoice | None:
    """The invoice a customer file prepared (a draft until its render step issues it)."""
    draft = linked(session, file_id, "invoice_draft")
    return session.get(Invoice, draft["invoice_id"]) if draft else None


def files_of_invoice(session: Session, number: str) -> list[int]:
    """The customer files that invoice `number` (newest link first)."""
    invoice = session.scalars(select(Invoice).where(Invoice.number == number)).first()
    if invoice is None:
        return []
    return files_linking(session, "invoice_draft", "invoice_id", invoice.id)


def prepare_for_file(session: Session, file_id: int, data: Data, profile: CompanyProfile, *,
                     actor: str) -> Invoice:
    """Store what a customer file will invoice: a draft (no number yet), linked to the file;
    the file's render step issues it with `issue_draft`."""
    draft = save_draft(session, data, seller_from_profile(profile), actor=actor)
    link(session, file_id, "invoice_draft", {"invoice_id": draft.id}, actor=actor,
         customer_id=draft.customer_id)
    return draft


def issue_draft(services: Services, draft_id: int, *, actor: str | None = None) -> str:
    """Number a stored draft (a file's invoice) through the same gates; once: a draft already
    numbered returns its number."""
    actor = actor or services.actor
    with services.factory() as session:
        draft = session.get(Invoice, draft_id)
        if draft is not None and draft.number is not None:
            return draft.number
    policy = _policy(services)
    if services.vies is not None:
        refresh_for_draft(services.factory, draft_id, services.vies, policy=policy, actor=actor)
    with transaction(services.factory) as session:
        issued = number_draft(session, draft_id, seller_from_profile(services.profile),
                              actor=actor, today=services.clock().date())
        check_before_commit(issued, vies=policy)
        assert issued.number is not None
        return issued.number


def recheck_buyer(services: Services, data: Data, *, actor: str | None = None) -> None:
    """Re-check the buyer with VIES when the invoice will rest on its EU VAT number and the
    last check is missing, stale or failed; for callers that issue inside a transaction of
    their own (the dispute steps). Never inside a transaction: VIES can be slow."""
    if services.vies is not None:
        refresh_for_input(services.factory, data, services.vies, policy=_policy(services),
                          actor=actor or services.actor)


def credit(services: Services, data: CreditInput | Mapping[str, Any], *,
           actor: str | None = None, today: Any = None) -> Checked:
    """A credit note (whole invoice, some lines or an amount), Factur-X checked before commit."""
    with transaction(services.factory) as session:
        return credit_checked(session, data, actor=actor or services.actor, today=today)


def reissue(services: Services, data: CreditInput | Mapping[str, Any], replacement: Data, *,
            actor: str | None = None, recheck_vies: bool = True) -> tuple[Checked, Checked]:
    """Cancel an invoice by a credit note and issue its replacement, in one transaction."""
    actor = actor or services.actor
    policy = _policy(services)
    if recheck_vies and services.vies is not None:
        refresh_for_input(services.factory, replacement, services.vies, policy=policy,
                          actor=actor)
    with transaction(services.factory) as session:
        return reissue_checked(session, data, replacement, services.profile, actor=actor,
                               vies=policy)


# --- 2-4. render once, seal, archive --------------------------------------------------------


def recorded_stage(session: Session, invoice_id: int, stage: Stage) -> dict[str, Any] | None:
    """The latest record of `stage` for the invoice, or None."""
    return session.scalars(
        select(AuditEvent.data)
        .where(AuditEvent.action == stage.value, AuditEvent.subject_type == "invoice",
               AuditEvent.subject_id == str(invoice_id))
        .order_by(AuditEvent.seq.desc())
    ).first()


def _record(services: Services, number: str, stage: Stage, data: dict[str, Any]) -> dict[str, Any]:
    """Record a stage once: if another run recorded it meanwhile, its record wins."""
    with transaction(services.factory) as session:
        invoice = get_invoice(session, number)
        done = recorded_stage(session, invoice.id, stage)
        if done is not None:
            return done
        data = {"number": number, **data}
        record(session, stage.value, subject_type="invoice", subject_id=invoice.id,
               actor=services.actor, customer_id=invoice.customer_id, data=data)
        return data


def _done(services: Services, number: str, stage: Stage) -> dict[str, Any] | None:
    with services.factory() as session:
        return recorded_stage(session, get_invoice(session, number).id, stage)


def render(services: Services, number: str) -> str:
    """Draw the issued invoice's Factur-X PDF, once; returns the PDF's digest."""
    done = _done(services, number, Stage.RENDERED)
    if done is not None:
        return str(done["sha256"])
    with services.factory() as session:
        pdf = render_facturx(get_invoice(session, number), services.profile).pdf
    digest = services.blobs.put(pdf)
    return str(_record(services, number, Stage.RENDERED, {"sha256": digest})["sha256"])


def seal(services: Services, number: str) -> str:
    """Seal the rendered PDF with the company seal; the result must still be a valid
    Factur-X (else `ActionFailed`: the circuit's on_failure takes over)."""
    done = _done(services, number, Stage.SEALED)
    if done is not None:
        return str(done["sha256"])
    pdf = services.seal.seal(services.blobs.get(render(services, number)),
                             reason="Facture émise")
    if not check_facturx(pdf).ok:
        raise ActionFailed(f"La facture {number} cachetée n'est plus un Factur-X valide.",
                           f"Sealed invoice {number} is no longer a valid Factur-X.")
    digest = services.blobs.put(pdf)
    return str(_record(services, number, Stage.SEALED, {"sha256": digest})["sha256"])


def archive(services: Services, number: str) -> ArchivedDocument:
    """Archive the sealed PDF, once; then drop the blobs (the archive keeps the only copy)."""
    done = _done(services, number, Stage.ARCHIVED)
    if done is not None:
        with services.factory() as session:
            return session.get_one(ArchivedDocument, done["archive_id"])
    sealed = seal(services, number)
    with services.factory() as session:
        invoice = get_invoice(session, number)
        kind, invoice_id = document_kind(invoice), invoice.id
        issue_date, customer_id = invoice.issue_date, invoice.customer_id
        rendered = recorded_stage(session, invoice_id, Stage.RENDERED)
    row = archive_document(services.archive, document_type=kind, document_id=invoice_id,
                           document_number=number, issue_date=issue_date,
                           content=services.blobs.get(sealed), customer_id=customer_id,
                           actor=services.actor)
    _record(services, number, Stage.ARCHIVED, {"archive_id": row.id, "sha256": row.sha256})
    for digest in {sealed, rendered["sha256"] if rendered else sealed}:
        services.blobs.discard(digest)
    return row


def post(services: Services, number: str) -> Posted:
    """Render once, seal, check and archive an issued invoice (each stage at most once)."""
    row = archive(services, number)
    return Posted(number, row.id, row.sha256)


def issued_pdf(services: Services, number: str) -> bytes:
    """The issued invoice's final PDF: the archived bytes (hash-checked), or the sealed PDF
    waiting for its archive step. Never a fresh rendering."""
    archived = _done(services, number, Stage.ARCHIVED)
    if archived is not None:
        return get_document(services.archive, archived["archive_id"], actor=services.actor)[1]
    sealed = _done(services, number, Stage.SEALED)
    if sealed is not None:
        return services.blobs.get(sealed["sha256"])
    raise ActionFailed(
        f"La facture {number} n'est pas encore cachetée : lancez `liasse invoices post "
        f"{number}`.",
        f"Invoice {number} is not sealed yet: run `liasse invoices post {number}`.")


# --- 5. route -------------------------------------------------------------------------------


def mail(services: Services, number: str) -> str:
    """E-mail the final PDF to the buyer, once per invoice number (the mail ledger's key)."""
    pdf = issued_pdf(services, number)
    with services.factory() as session:
        invoice = get_invoice(session, number)
        to, language, kind = invoice.buyer.get("email"), invoice.language, document_kind(invoice)
    english = language == "en"
    label = "Invoice" if english else "Facture"
    if kind == "credit_note":
        label = "Credit note" if english else "Avoir"
    message = EmailMessage()
    message["Subject"] = f"{label} {number} — {services.profile.name}"
    message["To"] = to or services.profile.email
    message.set_content(f"Please find attached {label.lower()} {number}.\n" if english else
                        f"Veuillez trouver ci-joint {label.lower()} {number}.\n")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{number}.pdf")
    message_id = services.mailer.send(message, f"invoice-mail:{number}")
    _record(services, number, Stage.MAILED, {"to": message["To"], "message_id": message_id})
    return message_id


def deposit(services: Services, number: str) -> DepositOutcome:
    """Deposit the final PDF on Chorus Pro after the preflight checks; at most once."""
    pdf = issued_pdf(services, number)
    with services.factory() as session:
        customer_id = get_invoice(session, number).customer_id
    with services.chorus_client() as client:
        depositor = Depositor(services.factory, client, check_facturx, clock=services.clock)
        outcome = depositor.deposit(DepositRequest(number, pdf, customer_id=customer_id))
    if outcome.state is DepositState.TO_FIX:
        raise ActionFailed(f"Dépôt Chorus Pro de {number} à corriger : {outcome.reason}",
                           f"Chorus Pro deposit of {number} needs fixing: {outcome.reason}")
    return outcome


def is_public_buyer(services: Services, number: str) -> bool:
    with services.factory() as session:
        invoice = get_invoice(session, number)
        return session.get_one(Customer, invoice.customer_id).is_public_buyer


def route(services: Services, number: str) -> list[str]:
    """Deliver a posted invoice on every channel that applies; returns notes, one a channel.

    E-mail always; Chorus Pro as well for a public buyer (the law's channel for them)."""
    message_id = mail(services, number)
    notes = [tr(f"envoyée par e-mail ({message_id})", f"e-mailed ({message_id})")]
    if is_public_buyer(services, number):
        flow = deposit(services, number).flow_number
        notes.append(tr(f"déposée sur Chorus Pro (flux {flow})",
                        f"deposited on Chorus Pro (flow {flow})"))
    return notes
