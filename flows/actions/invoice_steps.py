"""The invoice steps of a file: render (issue + Factur-X PDF), seal, archive, send, deposit.

Each stage reads what the previous one linked (invoice number, PDF blob digests) and links what
it made, so every stage can be re-run: the number is taken once, the sealed PDF is the one
archived, sent and deposited, and each external call has its own idempotency key.
"""

from __future__ import annotations

from dossiers.archive import archive_document
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.files.documents import mark_archived, release_archived_blobs
from dossiers.files.service import get_file
from dossiers.i18n import tr
from dossiers.invoicing.queries import get_invoice
from flows.actions import invoices
from flows.actions.context import ActionContext, ActionFailed, ActionResult, StepRef
from flows.actions.links import link, linked


def _need(ctx: ActionContext, file_id: int, kind: str) -> dict:
    with ctx.factory() as s:
        found = linked(s, file_id, kind)
    if found is None:
        raise ActionFailed(f"Le dossier {file_id} n'a pas encore de « {kind} ».",
                           f"File {file_id} has no '{kind}' yet.")
    return found


def render_invoice(ctx: ActionContext, file_id: int, step: StepRef) -> ActionResult:
    number = invoices.issue_for_file(ctx, file_id)
    pdf = invoices.render_pdf(ctx, number)
    digest = ctx.blobs.put(pdf)
    with transaction(ctx.factory) as s:
        link(s, file_id, "invoice_pdf", {"number": number, "sha256": digest}, actor=ctx.actor)
        total = get_invoice(s, number).grand_total
    return ActionResult(tr(f"facture {number} émise ({total} € TTC), Factur-X validé",
                           f"invoice {number} issued ({total} € incl. VAT), Factur-X valid"))


def seal_invoice(ctx: ActionContext, file_id: int, step: StepRef) -> ActionResult:
    rendered = _need(ctx, file_id, "invoice_pdf")
    with ctx.factory() as s:
        sealed = linked(s, file_id, "invoice_sealed")
    if sealed is not None and sealed["number"] == rendered["number"]:
        return ActionResult(tr(f"facture {rendered['number']} déjà cachetée",
                               f"invoice {rendered['number']} already sealed"))
    pdf = invoices.seal(ctx.blobs.get(rendered["sha256"]))
    if not invoices.facturx_ok(pdf):
        raise ActionFailed(f"La facture {rendered['number']} cachetée n'est plus un Factur-X "
                           "valide.", f"Sealed invoice {rendered['number']} is no longer a valid "
                           "Factur-X.")
    digest = ctx.blobs.put(pdf)
    with transaction(ctx.factory) as s:
        link(s, file_id, "invoice_sealed", {"number": rendered["number"], "sha256": digest},
             actor=ctx.actor)
    return ActionResult(tr("cachet électronique apposé", "electronic seal applied"))


def _sealed(ctx: ActionContext, file_id: int) -> tuple[str, bytes]:
    sealed = _need(ctx, file_id, "invoice_sealed")
    return sealed["number"], ctx.blobs.get(sealed["sha256"])


def archive_invoice(ctx: ActionContext, file_id: int, step: StepRef) -> ActionResult:
    """The sealed invoice, and the file's order form with it (both kept 10 years)."""
    number, pdf = _sealed(ctx, file_id)
    record = invoices.archive(ctx, number, pdf)
    orders = archive_order_forms(ctx, file_id)
    more = tr(f", bon de commande archivé (#{orders[0]})",
              f", order form archived (#{orders[0]})") if orders else ""
    return ActionResult(tr(f"facture {number} archivée (#{record.id}){more}",
                           f"invoice {number} archived (#{record.id}){more}"))


def archive_order_forms(ctx: ActionContext, file_id: int) -> list[int]:
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


def send_invoice(ctx: ActionContext, file_id: int, step: StepRef) -> ActionResult:
    number, pdf = _sealed(ctx, file_id)
    invoices.send(ctx, number, pdf)
    return ActionResult(tr(f"facture {number} envoyée par e-mail", f"invoice {number} e-mailed"))


def deposit_invoice(ctx: ActionContext, file_id: int, step: StepRef) -> ActionResult:
    number, pdf = _sealed(ctx, file_id)
    with ctx.factory() as s:
        invoice = get_invoice(s, number)
        customer = s.get_one(Customer, invoice.customer_id)
        public, customer_id = customer.is_public_buyer, customer.id
    if step.params.get("only_public_buyers") and not public:
        return ActionResult(tr("pas un acheteur public : rien à déposer",
                               "not a public buyer: nothing to deposit"))
    outcome = invoices.deposit(ctx, number, pdf, customer_id)
    flow = outcome.flow_number
    return ActionResult(tr(f"facture {number} déposée sur Chorus Pro (flux {flow})",
                           f"invoice {number} deposited on Chorus Pro (flow {flow})"))
