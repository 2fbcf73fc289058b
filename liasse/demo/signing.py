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

import httpx

from application.signing_sessions import signing_service
from connectors.sms.fake_twilio import FakeTwilioServer
from dossiers.i18n import tr
from flows.actions.sign import session_of
from flows.db_file_engine import on_signing_outcome
from liasse.demo import circuit_driver as drive
from liasse.demo.invoice_pipeline import actions as pipeline_actions
from liasse.demo.state import Demo
from signing.event_context import RequestContext
from signing.pki.signing_pki import verification_roots
from signing.sessions.deps import SessionOutcome
from signing.settings import SigningSettings
from signing.validation.verify import verify_pdf

CUSTOMER_BROWSER = RequestContext("203.0.113.10", "Mozilla/5.0 (client, démo)")
MANAGER_BROWSER = RequestContext("198.51.100.20", "Mozilla/5.0 (responsable, démo)")


def contract_steps(demo: Demo, file_id: int) -> None:
    """contract_draft (automatic, run by the flow before this) -> contract_review (human) ->
    signature (automatic): approving the review resumes the run, which opens the signing session
    (invitations e-mailed) and suspends; the signers sign here; the signing service's hook
    (`flows.db_file_engine.on_signing_outcome`, as in the portal) resumes the run, which finishes
    the signature step and runs the invoice steps."""
    drive.decide(demo, file_id, demo.staff["contract_manager"], approve=True,
                 reason="Clauses conformes au bon de commande")
    sign(demo, file_id)
    drive.settle(demo, file_id)


@contextmanager
def fake_twilio(demo: Demo) -> Iterator[FakeTwilioServer]:
    """The bundled fake Twilio on a local port; the signing service's client is pointed at it."""
    s = SigningSettings()
    server = FakeTwilioServer(s.twilio_account_sid, s.twilio_auth_token.get_secret_value(),
                              outbox_file=s.sms_outbox_file)
    with server:
        os.environ["LIASSE_SMS_BACKEND"] = "twilio"  # Twilio's contract, served by the fake
        os.environ["LIASSE_TWILIO_BASE_URL"] = server.base_url
        demo.detail(tr(f"faux Twilio démarré sur {server.base_url}",
                       f"fake Twilio started on {server.base_url}"))
        try:
            yield server
        finally:
            del os.environ["LIASSE_TWILIO_BASE_URL"]
            del os.environ["LIASSE_SMS_BACKEND"]


def read_code(server: FakeTwilioServer, phone: str) -> tuple[str, str]:
    """(code, SMS text) of the last message texted to `phone`, read over HTTP from the fake."""
    messages = httpx.get(f"{server.base_url}/_outbox", timeout=5).json()
    body = [m["body"] for m in messages if m["to"] == phone][-1]
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1), body


def sign(demo: Demo, file_id: int) -> None:
    """Both signers sign the session the signature step opened, customer first."""
    planned = drive.current(demo, file_id)
    opened = session_of(pipeline_actions(demo), file_id, planned.step_row_id or 0)
    assert opened is not None
    reference = opened.reference
    demo.detail(tr(f"session de signature {reference} ouverte (page de preuve ajoutée)",
                   f"signing session {reference} opened (evidence page appended)"))
    phones = [signer.phone_e164 for signer in opened.signers]
    names = [signer.full_name for signer in opened.signers]
    outcomes: list[SessionOutcome] = []

    def completed(outcome: SessionOutcome) -> None:  # the completion hook: the run resumes
        outcomes.append(outcome)
        on_signing_outcome(outcome)

    with (fake_twilio(demo) as twilio,
          signing_service(pipeline_actions(demo), on_outcome=completed) as service):
        for position, browser in ((1, CUSTOMER_BROWSER), (2, MANAGER_BROWSER)):
            token = service.signer_token(reference, position)
            shown = service.view(token, browser)
            service.request_code(token, browser)
            code, body = read_code(twilio, phones[position - 1] or "")
            demo.console.print(f"    [magenta]SMS → {phones[position - 1]}[/] « {body} »",
                               highlight=False)
            service.sign(token, code, browser, shown_sha256=shown.sha256)
            demo.detail(tr(f"{names[position - 1]} a signé avec le code {code}",
                           f"{names[position - 1]} signed with code {code}"))
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
    demo.facts["signed_contract"] = str(signed_path)


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
