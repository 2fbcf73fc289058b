"""The invoice steps of a file: render (issue + Factur-X PDF), seal, archive, send, deposit.

Each step is one stage of the posting pipeline (`application.invoicing.posting`) on the file's
invoice, found through the draft its contract step linked. The pipeline records each stage on
the invoice, so every step can be re-run: the number is taken once, the invoice drawn once, the
sealed PDF is the one archived, sent and deposited. Only the order form is the file's own.
"""

from __future__ import annotations

from application.errors import ActionFailed
from application.invoicing import posting
from application.services import Services
from dossiers.archive import archive_document
from dossiers.db import transaction
from dossiers.files.artifacts import linked
from dossiers.files.documents import mark_archived, release_archived_blobs
from dossiers.files.service import get_file
from dossiers.i18n import tr
from dossiers.invoicing.queries import get_invoice
from flows.actions.step_types import ActionResult, StepRef


def _issued_number(services: Services, file_id: int) -> str:
    """The number of the file's invoice, issued by its render step."""
    with services.factory() as s:
        invoice = posting.file_invoice(s, file_id)
    if invoice is None or invoice.number is None:
        raise ActionFailed(f"Le dossier {file_id} n'a pas encore de facture émise.",
                           f"File {file_id} has no issued invoice yet.")
    return invoice.number


def render_invoice(services: Services, file_id: int, step: StepRef) -> ActionResult:
    """Issue the file's draft through the gates, then draw its PDF once."""
    with services.factory() as s:
        draft = linked(s, file_id, "invoice_draft")
    if draft is None:
        raise ActionFailed(
            f"Le dossier {file_id} n'a pas de facture préparée : rien à émettre.",
            f"File {file_id} has no prepared invoice: nothing to issue.")
    number = posting.issue_draft(services, draft["invoice_id"])
    posting.render(services, number)
    with services.factory() as s:
        total = get_invoice(s, number).grand_total
    return ActionResult(tr(f"facture {number} émise ({total} € TTC), Factur-X validé",
                           f"invoice {number} issued ({total} € incl. VAT), Factur-X valid"))


def seal_invoice(services: Services, file_id: int, step: StepRef) -> ActionResult:
    posting.seal(services, _issued_number(services, file_id))
    return ActionResult(tr("cachet électronique apposé", "electronic seal applied"))


def archive_invoice(services: Services, file_id: int, step: StepRef) -> ActionResult:
    """The sealed invoice, and the file's order form with it (both kept 10 years)."""
    number = _issued_number(services, file_id)
    record = posting.archive(services, number)
    orders = archive_order_forms(services, file_id)
    more = tr(f", bon de commande archivé (#{orders[0]})",
              f", order form archived (#{orders[0]})") if orders else ""
    return ActionResult(tr(f"facture {number} archivée (#{record.id}){more}",
                           f"invoice {number} archived (#{record.id}){more}"))


def archive_order_forms(ctx: Services, file_id: int) -> list[int]:
    """Archive the file's order forms not archived yet, then release their upload blobs."""
    with ctx.factory() as s:
        file = get_file(s, file_id)
        pending = [(d.id, d.sha256, d.uploaded_at.date()) for d in file.documents
                   if d.kind == "order_form" and d.archive_ref is None]
        customer_id = file.customer_id
    records = []
    for document_id, digest, uploaded_on in pending:
        row = archive_document(ctx.archive, document_type="order_form",
                               document_id=f"file_document:{document_id}",
                               document_number=f"BC-{file_id:05d}", issue_date=uploaded_on,
                               content=ctx.blobs.get(digest), customer_id=customer_id,
                               actor=ctx.actor)
        with transaction(ctx.factory) as s:
            mark_archived(s, document_id, archive_ref=row.key, actor=ctx.actor)
        records.append(row.id)
    if records:
        with ctx.factory() as s:
            release_archived_blobs(s, ctx.blobs)
    return records


def send_invoice(services: Services, file_id: int, step: StepRef) -> ActionResult:
    number = _issued_number(services, file_id)
    posting.mail(services, number)
    return ActionResult(tr(f"facture {number} envoyée par e-mail", f"invoice {number} e-mailed"))


def deposit_invoice(services: Services, file_id: int, step: StepRef) -> ActionResult:
    number = _issued_number(services, file_id)
    if step.params.get("only_public_buyers") and not posting.is_public_buyer(services, number):
        return ActionResult(tr("pas un acheteur public : rien à déposer",
                               "not a public buyer: nothing to deposit"))
    flow = posting.deposit(services, number).flow_number
    return ActionResult(tr(f"facture {number} déposée sur Chorus Pro (flux {flow})",
                           f"invoice {number} deposited on Chorus Pro (flow {flow})"))
