"""Chapter 6: the public buyer's invoice goes to Chorus Pro, and is followed until paid.

The bundled fake Chorus Pro (same paths, JSON shapes and status timeline as the PISTE API)
runs on a local port; the posting pipeline (`posting.deposit`) has the real client deposit the
archived, sealed Factur-X after the preflight checks
(buyer SIRET known, service code active, legal commitment registered, Factur-X valid). The
fake's clock is then moved forward — days pass in a second — and the follow-up polls until the
invoice is mandated or paid.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

from rich.table import Table

from application.invoicing import posting
from connectors.chorus_pro import ChorusProClient, ChorusSettings, Depositor
from connectors.chorus_pro.fake import FakeChorus, FakeClock, ServerThread, create_app
from connectors.chorus_pro.followup import poll_once
from connectors.chorus_pro.preflight import check_before_deposit
from documents.facturx.check import check_facturx
from dossiers.chorus_deposits import DepositState
from dossiers.chorus_deposits.records import find
from dossiers.db import utcnow
from dossiers.i18n import tr
from liasse.demo.invoice_pipeline import actions
from liasse.demo.state import Demo

# The demo credentials the fake knows (its fixture), as a PISTE application would have them.
CREDENTIALS = {
    "client_id": "liasse-demo-client", "client_secret": "liasse-demo-secret",
    "technical_login": "TECH_LIASSE@cpro.fr", "technical_password": "Tech-Password-2026",
}
# How far the fake's clock moves between two polls (seconds): minutes, then hours, then days.
STEPS = (5 * 60, 3600, 86400, 2 * 86400, 7 * 86400, 5 * 86400)


def deposit_and_follow(demo: Demo) -> None:
    demo.chapter(6, "Chorus Pro : dépôt et suivi jusqu'au paiement",
                 "Chorus Pro: deposit and follow-up until payment")
    number = demo.facts["public_invoice"]
    doc = next(d for d in demo.issued if d.number == number)
    fake = FakeChorus(clock=FakeClock(start=utcnow()))
    with ServerThread(create_app(fake)) as server:
        settings = ChorusSettings.model_validate(
            {**CREDENTIALS, "api_base_url": server.url, "oauth_base_url": server.url})
        demo.detail(tr(f"faux Chorus Pro démarré sur {server.url}",
                       f"fake Chorus Pro started on {server.url}"))
        with ChorusProClient(settings, clock=fake.clock.now) as client:
            depositor = Depositor(demo.factory, client, check_facturx, clock=fake.clock.now)
            _preflight(demo, depositor, number, doc.pdf_path.read_bytes())
            # The product's deposit: the posting pipeline's Chorus Pro channel, on the
            # archived bytes, at most once.
            services = replace(actions(demo), chorus=lambda: nullcontext(client),
                               clock=fake.clock.now)
            outcome = posting.deposit(services, number)
            demo.ok(f"{number} déposée après contrôles (flux {outcome.flow_number})",
                    f"{number} deposited after preflight checks (flow {outcome.flow_number})")
            _follow(demo, client, fake, number)
        demo.facts["chorus_deposit_counts"] = fake.deposit_counts()
    _history(demo, number)


def _preflight(demo: Demo, depositor: Depositor, number: str, pdf: bytes) -> None:
    """What the deposit checks first (it runs them again itself): routing data read from the
    embedded XML, checked against what the buyer published on Chorus Pro."""
    routing, problems = check_before_deposit(depositor.directory, pdf, invoice_number=number,
                                             check_facturx=check_facturx)
    if routing is not None and not problems:
        demo.detail(tr(f"contrôles avant dépôt : SIRET {routing.buyer_siret} connu de Chorus Pro, "
                       f"code service {routing.service_code}, engagement juridique "
                       f"{routing.legal_commitment}, Factur-X conforme",
                       f"preflight: SIRET {routing.buyer_siret} known to Chorus Pro, service "
                       f"code {routing.service_code}, legal commitment "
                       f"{routing.legal_commitment}, Factur-X compliant"))
    for problem in problems:
        demo.refused("À corriger avant dépôt :", "To fix before deposit:", str(problem))


def _follow(demo: Demo, client: ChorusProClient, fake: FakeChorus, number: str) -> None:
    for seconds in STEPS:
        now = fake.clock.advance(seconds)
        report = poll_once(demo.factory, client, now, force=True)
        with demo.factory() as s:
            row = find(s, number)
            assert row is not None
            state, status, lifecycle = row.state, row.invoice_status, row.lifecycle
        demo.detail(f"{now:%Y-%m-%d %H:%M} — {tr('flux', 'flow')} {row.flow_state or '…'} — "
                    f"{tr('facture', 'invoice')} {status or '…'}"
                    + (f" ({lifecycle.value})" if lifecycle else ""))
        for problem in report.problems:
            demo.refused("Problème Chorus Pro :", "Chorus Pro problem:", str(problem))
        if state in (DepositState.SETTLED, DepositState.TO_FIX):
            break


def _history(demo: Demo, number: str) -> None:
    with demo.factory() as s:
        row = find(s, number)
        assert row is not None
        history, state = list(row.status_history or []), row.state
    table = Table(tr("statut Chorus Pro", "Chorus Pro status"), tr("date", "date"),
                  title=tr(f"Historique de {number}", f"History of {number}"))
    for change in history:
        table.add_row(change.get("code") or "", str(change.get("at") or ""))
    demo.console.print(table)
    demo.facts["chorus_state"] = state.value
    if state is DepositState.SETTLED:
        demo.ok("suivi terminé : facture mandatée / mise en paiement",
                "follow-up done: invoice mandated / being paid")
