"""The contract part of a file: drafted, reviewed, then signed by SMS code — the customer first,
the sales manager second — through the real signing session, with Twilio's real client talking
HTTP to the bundled fake Twilio. The codes are read back from the fake's outbox, like a phone
would receive them. The signed PDF is then verified (two signatures, the seal, timestamps).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx

from connectors.sms.fake_twilio import FakeTwilioServer
from documents.contracts import RenderedContract
from dossiers.archive import archive_document
from dossiers.customers.models import Customer
from dossiers.files.service import get_file
from dossiers.i18n import tr
from dossiers.staff.service import get_staff
from liasse.demo import circuit_driver as drive
from liasse.demo import paper
from liasse.demo.context import Demo
from liasse.demo.invoice_pipeline import open_archive
from liasse.settings import get_settings
from signing.event_context import RequestContext
from signing.pades.placement import SignatureBox
from signing.pki.context import verification_roots
from signing.sessions.deps import SessionOutcome
from signing.sessions.prepare import SignerSpec
from signing.sessions.runtime import signing_service
from signing.settings import SigningSettings
from signing.validation.verify import verify_pdf

CUSTOMER_BROWSER = RequestContext("203.0.113.10", "Mozilla/5.0 (client, démo)")
MANAGER_BROWSER = RequestContext("198.51.100.20", "Mozilla/5.0 (responsable, démo)")


def contract_steps(demo: Demo, file_id: int) -> None:
    """contract_draft (automatic) -> contract_review (human) -> signature (automatic)."""
    drafted: dict[str, RenderedContract] = {}

    def draft() -> str:
        with demo.factory() as s:
            customer = s.get_one(Customer, get_file(s, file_id).customer_id)
            manager = get_staff(s, demo.staff["manager"])
            rendered = paper.contract(customer, f"CT-{file_id:05d}", manager.full_name,
                                      manager.email, demo.profile)
        drafted["contract"] = rendered
        drive.attach(demo, file_id, "contract", f"contrat-{file_id}.pdf", rendered.pdf,
                     "system")
        return tr(f"contrat rendu ({len(rendered.pdf)} o, {len(rendered.boxes)} cadres de "
                  "signature)", f"contract rendered ({len(rendered.pdf)} B, "
                  f"{len(rendered.boxes)} signature boxes)")

    drive.run_automatic(demo, file_id, "render", draft)
    drive.decide(demo, file_id, demo.staff["contract_manager"], approve=True,
                 reason="Clauses conformes au bon de commande")
    drive.run_automatic(demo, file_id, "sign", lambda: sign(demo, file_id, drafted["contract"]))


def _boxes(rendered: RenderedContract) -> list[SignatureBox]:
    """The contract's printed boxes, as the signing package wants them (PDF points)."""
    return [SignatureBox(*(round(v) for v in box.pdf_rect), page=box.page_index)
            for box in rendered.boxes]


@contextmanager
def fake_twilio(demo: Demo) -> Iterator[FakeTwilioServer]:
    """The bundled fake Twilio on a local port; the signing service's client is pointed at it."""
    s = SigningSettings()
    server = FakeTwilioServer(s.twilio_account_sid, s.twilio_auth_token.get_secret_value(),
                              outbox_file=s.sms_outbox_file)
    with server:
        os.environ["LIASSE_TWILIO_BASE_URL"] = server.base_url
        demo.detail(tr(f"faux Twilio démarré sur {server.base_url}",
                       f"fake Twilio started on {server.base_url}"))
        try:
            yield server
        finally:
            del os.environ["LIASSE_TWILIO_BASE_URL"]


def read_code(server: FakeTwilioServer, phone: str) -> tuple[str, str]:
    """(code, SMS text) of the last message texted to `phone`, read over HTTP from the fake."""
    messages = httpx.get(f"{server.base_url}/_outbox", timeout=5).json()
    body = [m["body"] for m in messages if m["to"] == phone][-1]
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1), body


def sign(demo: Demo, file_id: int, rendered: RenderedContract) -> str:
    with demo.factory() as s:
        customer = s.get_one(Customer, get_file(s, file_id).customer_id)
        manager = get_staff(s, demo.staff["manager"])
        boxes = _boxes(rendered)
        signers = [
            SignerSpec(customer.display_name, customer.email or "", customer.mobile or "",
                       "client", boxes[0]),
            SignerSpec(manager.full_name, manager.email, manager.mobile or "",
                       "responsable commercial", boxes[1]),
        ]
        customer_id, phones = customer.id, [customer.mobile, manager.mobile]
    outcomes: list[SessionOutcome] = []  # the completion hook: how the circuit hears of it
    with (fake_twilio(demo) as twilio,
          signing_service(demo.factory, get_settings(), on_outcome=outcomes.append) as service):
        reference = service.open(
            "Contrat d'abonnement", rendered.pdf, signers, customer_id=customer_id,
            subject_ref=f"customer_file:{file_id}/step:signature", opened_by=demo.staff["rep"])
        demo.detail(tr(f"session de signature {reference} ouverte (page de preuve ajoutée)",
                       f"signing session {reference} opened (evidence page appended)"))
        for position, phone, browser in ((1, phones[0], CUSTOMER_BROWSER),
                                         (2, phones[1], MANAGER_BROWSER)):
            token = service.signer_token(reference, position)
            shown = service.view(token, browser)
            service.request_code(token, browser)
            code, body = read_code(twilio, phone or "")
            demo.console.print(f"    [magenta]SMS → {phone}[/] « {body} »", highlight=False)
            service.sign(token, code, browser, shown_sha256=shown.sha256)
            demo.detail(tr(f"{signers[position - 1].full_name} a signé avec le code {code}",
                           f"{signers[position - 1].full_name} signed with code {code}"))
    outcome = outcomes[-1]
    if outcome.status != "completed" or outcome.signed_pdf is None:
        raise RuntimeError(f"signing session {reference}: {outcome.status}")
    signed_path = demo.pdf_dir / f"contrat-{file_id}-signe.pdf"
    signed_path.write_bytes(outcome.signed_pdf)
    if outcome.evidence_pdf:
        (demo.pdf_dir / f"contrat-{file_id}-preuve.pdf").write_bytes(outcome.evidence_pdf)
        demo.detail(tr("certificat de preuve cacheté : ", "sealed evidence certificate: ")
                    + demo.relative(demo.pdf_dir / f"contrat-{file_id}-preuve.pdf"))
    _verify(demo, outcome.signed_pdf)
    row = _archive_contract(demo, file_id, reference, outcome.signed_pdf, customer_id)
    demo.facts["signed_contract"] = str(signed_path)
    return tr(f"contrat signé par les deux parties, cacheté, archivé (#{row})",
              f"contract signed by both parties, sealed, archived (#{row})")


def _verify(demo: Demo, pdf: bytes) -> None:
    report = verify_pdf(pdf, verification_roots(SigningSettings()))
    for sig in report.signatures:
        stamp = f"{sig.timestamp:%Y-%m-%d %H:%M:%S} UTC" if sig.timestamp else "—"
        mark = "[green]✓[/]" if sig.ok else "[red]✗[/]"
        demo.console.print(f"    {mark} {sig.kind_label()} — {sig.signer} — "
                           f"{tr('horodatage', 'timestamp')} {stamp} — {sig.coverage_label()}",
                           highlight=False)
    page = report.evidence_page
    demo.detail(tr(f"page de preuve : page {page}", f"evidence page: page {page}"))
    kinds = [s.kind for s in report.signatures]
    demo.facts["contract_verification"] = {"ok": report.ok, "kinds": kinds,
                                           "evidence_page": page}
    if not report.ok:
        raise RuntimeError(tr("vérification du contrat signé en échec",
                              "signed contract verification failed"))


def _archive_contract(demo: Demo, file_id: int, reference: str, pdf: bytes,
                      customer_id: int) -> int:
    row = archive_document(open_archive(demo), document_type="contract",
                           document_id=f"signing:{reference}",
                           document_number=f"CT-{file_id:05d}", issue_date=date.today(),
                           content=pdf, customer_id=customer_id, actor="demo:archive")
    return row.id
