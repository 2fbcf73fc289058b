"""Chapter 4: customer files on the default circuit, each driven by its Prefect flow run.

Every file gets a run of the `customer-file` deployment, served in a child process like
`liasse serve` does (`liasse.demo.orchestration`): the run does the automatic steps as Prefect
tasks (the product's handlers, `flows.actions`), e-mails the alert of each human step to the
outbox and suspends; each decision below is recorded, then resumes the run
(`liasse.demo.circuit_driver`).

- the private customer's file goes all the way: order form and proof approved, contract drafted,
  reviewed, signed by SMS code (customer then sales manager), then the invoice steps — issue,
  seal, archive, send, (no) Chorus Pro deposit — and the file closes approved, its run Completed;
- the company's supporting document is rejected with a reason: the file goes back a step;
- the third-party payer's and the German company's files stay suspended on a human step (see
  `liasse steps pending`); a prospect's file is refused (prospects are never invoiced).
"""

from __future__ import annotations

from rich.table import Table

from application.invoicing.posting import prepare_for_file
from application.settings import Settings
from dossiers.archive import find as archive_find
from dossiers.circuits import CLOSE, Circuit, load_circuit
from dossiers.customers.models import Customer
from dossiers.customers.service import get_customer
from dossiers.errors import LiasseError
from dossiers.files import queries, service
from dossiers.files.artifacts import linked
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice
from liasse.demo import circuit_driver as drive
from liasse.demo import invoice_pipeline as pipeline
from liasse.demo import paper
from liasse.demo.orchestration import served_flows
from liasse.demo.signing import contract_steps
from liasse.demo.state import Demo


def default_circuit() -> Circuit:
    return load_circuit(Settings().circuits_dir / "default.yaml")


def happy_path(circuit: Circuit) -> list[str]:
    """Step ids from the first step, following approvals, until the file closes."""
    path, step = [], circuit.first_step
    while step.id not in path:
        path.append(step.id)
        if not step.on_approve or step.on_approve == CLOSE:
            break
        step = circuit.step(step.on_approve)
    return path


def start(demo: Demo, circuit: Circuit, who: str) -> int:
    """Open the file, then create its flow run (picked up by the served deployment)."""
    with demo.tx() as s:
        customer = get_customer(s, demo.customers[who])
        file = service.start_file(s, customer_id=customer.id, circuit=circuit,
                                  actor=demo.staff["rep"])
        file_id, name, version = file.id, customer.display_name, file.circuit_version
        if who == "person":  # what the file will invoice, once signed (a draft)
            prepare_for_file(s, file_id, invoice_draft(demo), demo.profile,
                             actor=demo.staff["rep"])
    demo.files[who] = file_id
    demo.ok(f"dossier {file_id} ouvert pour {name} (circuit {circuit.name} v{version})",
            f"file {file_id} opened for {name} (circuit {circuit.name} v{version})")
    drive.start_run(demo, file_id)
    return file_id


def _customer(demo: Demo, who: str) -> Customer:
    with demo.factory() as s:
        return get_customer(s, demo.customers[who])


def order_form_approved(demo: Demo, who: str) -> None:
    file_id, customer = demo.files[who], _customer(demo, who)
    pdf = paper.order_form(customer, f"BC-{file_id:05d}", demo.profile)
    drive.attach(demo, file_id, "order_form", f"bon-de-commande-{file_id}.pdf", pdf,
                 demo.staff["rep"])
    drive.decide(demo, file_id, demo.staff["order_desk"], approve=True,
                 reason="Bon de commande complet et signé")


def proof_attached(demo: Demo, who: str, title: str) -> None:
    file_id = demo.files[who]
    pdf = paper.supporting_document(_customer(demo, who), title)
    drive.attach(demo, file_id, "supporting_documents", f"justificatif-{file_id}.pdf", pdf,
                 f"customer:{demo.customers[who]}")


def invoice_draft(demo: Demo) -> dict:
    return {"customer": demo.customers["person"], "lines": [
        {"description": line.name, "quantity": str(line.quantity),
         "unit_price": str(line.unit_price), "vat_rate": str(line.vat_rate),
         "kind": "subscription" if "Abonnement" in line.name else "item"}
        for line in paper.ORDER_LINES]}


def invoice_issued(demo: Demo, file_id: int) -> None:
    """The flow ran invoice_render -> seal -> archive -> send -> deposit after the signature;
    note the invoice for the summary (its archived PDF goes to pdf/)."""
    with demo.factory() as s:
        draft = linked(s, file_id, "invoice_draft")
        assert draft is not None
        number = s.get_one(Invoice, draft["invoice_id"]).number
    assert number is not None
    doc = pipeline.noted(demo, number)
    pipeline.copy_final_pdf(demo, doc)
    doc.archive_id = next(iter(find_archived(demo, number)), None)


def find_archived(demo: Demo, number: str) -> list[int]:
    with demo.factory() as s:
        return [row.id for row in archive_find(s, document_number=number)]


def walk_files(demo: Demo) -> None:
    demo.chapter(4, "Dossiers clients sur le circuit standard",
                 "Customer files on the default circuit")
    with served_flows(demo):
        _walk(demo)


def _walk(demo: Demo) -> None:
    circuit = default_circuit()
    path = " → ".join(happy_path(circuit))
    demo.say(f"Circuit « {circuit.name} » : {path}", f"Circuit '{circuit.name}': {path}")
    for who in ("person", "company", "payer", "eu"):
        start(demo, circuit, who)
    _refuse_prospect(demo, circuit)
    for who in ("person", "company", "payer", "eu"):  # the four runs start side by side
        drive.settle(demo, demo.files[who])

    demo.say("— Dossier de Claire Dubois, jusqu'au bout", "— Claire Dubois's file, end to end",
             style="bold")
    order_form_approved(demo, "person")
    proof_attached(demo, "person", "Justificatif de domicile")
    drive.decide(demo, demo.files["person"], demo.staff["documents_checker"], approve=True,
                 reason="Justificatif lisible et à jour")
    contract_steps(demo, demo.files["person"])
    invoice_issued(demo, demo.files["person"])

    demo.say("— Librairie du Parc : pièce refusée, retour au bon de commande",
             "— Librairie du Parc: document refused, back to the order form", style="bold")
    order_form_approved(demo, "company")
    proof_attached(demo, "company", "Extrait K-bis")
    drive.decide(demo, demo.files["company"], demo.staff["documents_checker"], approve=False,
                 reason="Extrait K-bis de plus de trois mois : en fournir un récent")

    demo.say("— Mutuelle : en attente des pièces justificatives",
             "— Mutuelle: waiting for supporting documents", style="bold")
    order_form_approved(demo, "payer")
    pending_table(demo)


def _refuse_prospect(demo: Demo, circuit: Circuit) -> None:
    try:
        with demo.tx() as s:
            customer = get_customer(s, demo.customers["prospect"])
            service.start_file(s, customer_id=customer.id, circuit=circuit, actor="demo")
    except LiasseError as error:
        demo.refused("Dossier pour un prospect refusé :", "File for a prospect refused:",
                     error.message)


def pending_table(demo: Demo) -> None:
    """What `liasse steps pending` shows now."""
    with demo.factory() as s:
        rows = queries.pending_steps(s)
        table = Table("id", tr("dossier", "file"), tr("étape", "step"), tr("rôle", "role"),
                      tr("échéance", "due"), title=tr("liasse steps pending",
                                                      "liasse steps pending"))
        for row in rows:
            table.add_row(str(row.id), str(row.file_id), row.step_id, row.role or "—",
                          f"{row.due_at:%Y-%m-%d %H:%M} UTC" if row.due_at else "—")
    demo.console.print(table)
    demo.facts["pending_steps"] = len(rows)
