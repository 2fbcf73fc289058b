"""`render` on a contract step: draft the subscription contract with its signature boxes.

The PDF is attached to the file (content-checked, in the blob store) and linked with its boxes,
so a re-run finds it instead of drafting a second contract, and the signature step knows where
each signer signs without rendering again.
"""

from __future__ import annotations

from datetime import date

from application.errors import ActionFailed
from application.services import Services
from documents.contracts import Clause, Contract, Signer, render_contract
from documents.postal_address import PostalRecipient
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.files.artifacts import link, linked
from dossiers.files.documents import attach_document
from dossiers.files.service import get_file, get_step
from dossiers.i18n import tr
from dossiers.staff.models import StaffUser
from dossiers.staff.service import users_with_role
from flows.actions.step_types import ActionResult, StepRef

CLAUSES = (
    Clause("Objet", "Le présent contrat porte sur l'abonnement annuel à la « Revue Liasse » et "
           "sur la fourniture des ouvrages listés au bon de commande."),
    Clause("Durée", "Douze mois à compter de la signature, renouvelable sur avis de "
           "renouvellement."),
    Clause("Prix et paiement", "Prix du bon de commande, payables à réception de la facture, "
           "par virement."),
    Clause("Signature électronique", "Les parties signent électroniquement au moyen d'un code "
           "reçu par SMS ; le contrat est ensuite revêtu du cachet de l'éditeur."),
)
COUNTERSIGNER_ROLE = "sales_manager"


def recipient_of(customer: Customer) -> PostalRecipient:
    person = " ".join(p for p in (customer.first_name, customer.last_name) if p) or None
    return PostalRecipient(
        company=customer.company_name, title=customer.title, name=person,
        name_extra=customer.address_name_extra, street=customer.address_street,
        extra=customer.address_extra, postcode=customer.postcode or "",
        city=customer.city or "", country=customer.country or "FR",
    )


def contract_number(file_id: int) -> str:
    return f"CT-{file_id:05d}"


def countersigner(session, settings) -> StaffUser:  # type: ignore[no-untyped-def]
    """Who signs for the company: the configured sales manager, else a `sales_manager`."""
    managers = list(users_with_role(session, COUNTERSIGNER_ROLE))
    chosen = next((u for u in managers if u.email == settings.sales_manager_email), None)
    if chosen is None and managers:
        chosen = managers[0]
    if chosen is None:
        raise ActionFailed("Aucun responsable commercial (rôle sales_manager) pour contresigner.",
                           "No sales manager (role sales_manager) to countersign.")
    return chosen


def draft_contract(ctx: Services, file_id: int, step: StepRef) -> ActionResult:
    with transaction(ctx.factory) as s:
        seq = get_step(s, step.row_id).seq
        done = linked(s, file_id, "contract")
        if done is not None and done.get("step_seq") == seq:
            return ActionResult(tr(f"contrat déjà rédigé (pièce #{done['document_id']})",
                                   f"contract already drafted (document #{done['document_id']})"))
        file = get_file(s, file_id)
        customer = s.get_one(Customer, file.customer_id)
        manager = countersigner(s, ctx.settings)
        signers = (
            Signer(customer.display_name, "Le client", customer.email, customer.number),
            Signer(manager.full_name, f"Pour {ctx.profile.name}, le responsable commercial",
                   manager.email),
        )
        rendered = render_contract(Contract(
            number=contract_number(file_id), title="Contrat d'abonnement",
            issued_on=ctx.clock().date() if ctx.clock else date.today(),
            customer=recipient_of(customer), clauses=CLAUSES, signers=signers,
        ), ctx.profile)
        document = attach_document(s, ctx.blobs, file_id, data=rendered.pdf,
                                   original_name=f"contrat-{file_id}.pdf", kind="contract",
                                   uploaded_by=ctx.actor)
        boxes = [[*(round(v) for v in box.pdf_rect), box.page_index] for box in rendered.boxes]
        link(s, file_id, "contract", {"document_id": document.id, "sha256": document.sha256,
                                      "step_seq": seq, "boxes": boxes,
                                      "countersigner": manager.login},
             actor=ctx.actor, customer_id=customer.id)
    size, count = len(rendered.pdf), len(boxes)
    return ActionResult(tr(f"contrat rendu ({size} o, {count} cadres de signature)",
                           f"contract rendered ({size} B, {count} signature boxes)"))
