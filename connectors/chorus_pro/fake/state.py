"""The fake Chorus Pro's memory and rules: accounts, public buyers, flows, invoices, time.

Time only moves through the injected `FakeClock` (`advance`, or `POST /_fake/advance`), so
tests walk a flow from `IN_RECU` to `MISE_EN_PAIEMENT` without sleeping. A deposited flow is
processed the first time it is looked at after `FLOW_PROCESSING_SECONDS`, like the real platform
which answers the deposit at once and checks the file later: the embedded XML is checked against
the XSD (`facturx.xml_check_xsd`) and the buyer's routing rules (SIRET known, service code and
legal commitment when required, no duplicate invoice number).
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from facturx import xml_check_xsd

from connectors.chorus_pro.routing import NoFacturXData, extract_xml, read_routing_xml

FLOW_PROCESSING_SECONDS = 60
FLOW_TIMELINE = ((0, "IN_RECU"), (30, "IN_EN_COURS_TRAITEMENT_CPP"))
HOUR = 3600
DAY = 24 * HOUR
# Seconds after integration at which each invoice status is reached on the normal path.
INVOICE_TIMELINE = (
    (0, "DEPOSEE"),
    (HOUR, "MISE_A_DISPOSITION"),
    (DAY, "PRISE_EN_COMPTE_DESTINATAIRE"),
    (3 * DAY, "SERVICE_FAIT"),
    (10 * DAY, "MANDATEE"),
    (15 * DAY, "MISE_EN_PAIEMENT"),
)
# Where an exceptional outcome replaces the normal path (it then stays there).
EXCEPTION_AT = {"A_RECYCLER": HOUR, "REJETEE": DAY, "SUSPENDUE": DAY}
TOKEN_LIFETIME = 3600


class FakeClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


class FunctionalError(Exception):
    """Answered as HTTP 400 with `codeRetour`/`libelle`, like Chorus Pro does."""

    def __init__(self, code: int, libelle: str) -> None:
        super().__init__(libelle)
        self.code = code
        self.libelle = libelle


@dataclass
class FakeInvoice:
    number: str
    xml: bytes | None
    read_error: str | None = None
    invoice_id: int | None = None
    error: str | None = None  # set at processing: why this invoice was not integrated
    technical_error: tuple[str, str] | None = None  # (code, message), e.g. ERR_XSD_001
    buyer_siret: str | None = None
    integrated_at: datetime | None = None
    outcome: str | None = None  # A_RECYCLER / REJETEE / SUSPENDUE instead of the normal path


@dataclass
class FakeFlow:
    number: str
    file_name: str
    syntax: str
    deposited_at: datetime
    invoices: list[FakeInvoice]
    state: str | None = None  # final state once processed
    files: list[tuple[str, bytes]] | None = None  # until read


@dataclass
class Faults:
    latency_ms: int = 0
    queue: list[dict[str, Any]] = field(default_factory=list)
    invoice_errors: dict[str, str] = field(default_factory=dict)
    invoice_outcomes: dict[str, str] = field(default_factory=dict)
    flow_outcomes: dict[str, str] = field(default_factory=dict)

    def take(self, path: str, when: str) -> dict[str, Any] | None:
        """The first queued fault for this path and moment, consumed."""
        for fault in self.queue:
            if fault.get("when", _default_when(fault["kind"])) != when:
                continue
            if fault.get("path", "*") not in ("*", "") and fault["path"] not in path:
                continue
            fault["times"] = int(fault.get("times", 1)) - 1
            if fault["times"] <= 0:
                self.queue.remove(fault)
            return fault
        return None


def _default_when(kind: str) -> str:
    return "before" if kind in ("rate_limit", "status") else "after"


def load_fixture(name: str = "fixture.json") -> dict[str, Any]:
    text = resources.files("connectors.chorus_pro.fake").joinpath(name).read_text("utf-8")
    return json.loads(text)


class FakeChorus:
    def __init__(self, fixture: dict[str, Any] | None = None, clock: FakeClock | None = None):
        self.clock = clock or FakeClock()
        self.lock = threading.RLock()
        self.fixture = fixture or load_fixture()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            fixture = self.fixture
            self.clients: dict[str, str] = dict(fixture["clients"])
            self.subscribed: set[str] = set(self.clients)
            self.accounts: dict[str, str] = dict(fixture["technical_accounts"])
            self.expired_accounts: set[str] = set()
            self.structures = {s["idStructureCPP"]: s for s in fixture["structures"]}
            self.tokens: dict[str, tuple[str, datetime]] = {}
            self.flows: dict[str, FakeFlow] = {}
            self.invoices_by_id: dict[int, FakeInvoice] = {}
            self.deposits: Counter[str] = Counter()
            self.faults = Faults()
            self._next_flow = 1557
            self._next_invoice_id = 9_000_001
            self._next_token = 1

    # --- identity ----------------------------------------------------------------------------
    def issue_token(self, client_id: str, secret: str) -> tuple[str, int] | None:
        with self.lock:
            if self.clients.get(client_id) != secret:
                return None
            value = f"fake-token-{self._next_token:06d}"
            self._next_token += 1
            self.tokens[value] = (client_id, self.clock.now() + timedelta(seconds=TOKEN_LIFETIME))
            return value, TOKEN_LIFETIME

    def token_problem(self, token: str) -> str | None:
        """None if the bearer token is good, else 'invalid_token' or 'insufficient_scope'."""
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None or entry[1] <= self.clock.now():
                return "invalid_token"
            if entry[0] not in self.subscribed:
                return "insufficient_scope"
            return None

    def expire_tokens(self) -> None:
        with self.lock:
            past = self.clock.now() - timedelta(seconds=1)
            self.tokens = {t: (c, past) for t, (c, _) in self.tokens.items()}

    def account_problem(self, login: str, password: str) -> str | None:
        with self.lock:
            if self.accounts.get(login) != password:
                return "Identifiant ou mot de passe du compte technique incorrect"
            if login in self.expired_accounts:
                return "Le mot de passe du compte technique a expiré"
            return None

    # --- deposits ----------------------------------------------------------------------------
    def deposit(self, content: bytes, file_name: str, syntax: str) -> FakeFlow:
        """Accept the flow at once; its files are read later (`read_flow`), like the real
        platform, which answers the deposit before processing it."""
        files = _flow_files(content, file_name)
        with self.lock:
            number = f"CPP00111100000000000{self._next_flow:05d}"
            self._next_flow += 1
            flow = FakeFlow(number, file_name, syntax, self.clock.now(), [], files=files)
            self.flows[number] = flow
            return flow

    def read_flow(self, flow: FakeFlow) -> list[FakeInvoice]:
        """The flow's invoices, read from its files once (and counted per invoice number)."""
        with self.lock:
            if flow.files is not None:
                flow.invoices = [self._read_invoice(name, data) for name, data in flow.files]
                flow.files = None
                for invoice in flow.invoices:
                    self.deposits[invoice.number] += 1
            return flow.invoices

    def deposit_counts(self) -> dict[str, int]:
        """How many times each invoice number was deposited (every flow read first)."""
        with self.lock:
            for flow in self.flows.values():
                self.read_flow(flow)
            return dict(self.deposits)

    @staticmethod
    def _read_invoice(name: str, data: bytes) -> FakeInvoice:
        try:
            xml = extract_xml(data)
            routing = read_routing_xml(xml)
        except NoFacturXData as exc:
            return FakeInvoice(number=name, xml=None, read_error=str(exc))
        return FakeInvoice(number=routing.invoice_number, xml=xml, buyer_siret=routing.buyer_siret)

    def flow(self, number: str) -> FakeFlow:
        with self.lock:
            flow = self.flows.get(number)
            if flow is None:
                raise FunctionalError(20002, f"Le flux {number} est introuvable")
            self._maybe_process(flow)
            return flow

    def flow_state(self, flow: FakeFlow) -> str:
        if flow.state:
            return flow.state
        elapsed = (self.clock.now() - flow.deposited_at).total_seconds()
        return [state for at, state in FLOW_TIMELINE if at <= elapsed][-1]

    def _maybe_process(self, flow: FakeFlow) -> None:
        if flow.state or self.clock.now() < flow.deposited_at + timedelta(
            seconds=FLOW_PROCESSING_SECONDS
        ):
            return
        integrated_at = flow.deposited_at + timedelta(seconds=FLOW_PROCESSING_SECONDS)
        for invoice in self.read_flow(flow):
            self._check_invoice(invoice)
            if invoice.error is None:
                invoice.invoice_id = self._next_invoice_id
                self._next_invoice_id += 1
                invoice.integrated_at = integrated_at
                invoice.outcome = self.faults.invoice_outcomes.get(invoice.number)
                self.invoices_by_id[invoice.invoice_id] = invoice
        forced = next(
            (
                self.faults.flow_outcomes[i.number]
                for i in flow.invoices
                if i.number in self.faults.flow_outcomes
            ),
            None,
        )
        good = [i for i in flow.invoices if i.error is None]
        if forced:
            flow.state = forced
            for invoice in good:  # a forced rejection/incident integrates nothing
                self.invoices_by_id.pop(invoice.invoice_id or 0, None)
                invoice.invoice_id = None
        elif len(good) == len(flow.invoices):
            flow.state = "IN_INTEGRE"
        elif good:
            flow.state = "IN_INTEGRE_PARTIEL"
        else:
            flow.state = "IN_REJETE"

    def _check_invoice(self, invoice: FakeInvoice) -> None:
        if invoice.read_error:
            invoice.error = f"Fichier Factur-X illisible : {invoice.read_error}"
            invoice.technical_error = ("ERR_PDF_001", invoice.read_error)
            return
        try:
            xml_check_xsd(invoice.xml)
        except Exception as exc:
            message = str(exc)
            marker = "Here is the error, which may give you an idea on the cause of the problem: "
            detail = message.split(marker, 1)[-1]
            invoice.error = f"ERR_XSD_001 : {detail}"
            invoice.technical_error = ("ERR_XSD_001", detail)
            return
        forced = self.faults.invoice_errors.get(invoice.number)
        invoice.error = forced or self._routing_error(invoice)

    def _routing_error(self, invoice: FakeInvoice) -> str | None:
        routing = read_routing_xml(invoice.xml or b"")
        structure = self.structure_by_siret(routing.buyer_siret or "")
        if structure is None:
            return f"Le destinataire {routing.buyer_siret} est inconnu de Chorus Pro"
        params = structure["parametres"]
        service = None
        if routing.service_code:
            service = next(
                (s for s in structure["services"] if s["codeService"] == routing.service_code),
                None,
            )
            if service is None or not service["estActif"]:
                return f"Le service {routing.service_code} n'existe pas ou n'est pas actif"
        elif params.get("codeServiceDoitEtreRenseigne"):
            return "Le code service est obligatoire pour ce destinataire"
        ej_required = params.get("numeroEJDoitEtreRenseigne") or (
            service is not None and service.get("numeroEngagement")
        )
        if ej_required and not routing.legal_commitment:
            return "Le numéro d'engagement juridique est obligatoire pour ce destinataire"
        if ej_required and routing.legal_commitment not in structure["engagements"]:
            return f"L'engagement juridique {routing.legal_commitment} est inconnu"
        duplicate = any(
            i.number == invoice.number and i is not invoice for i in self.invoices_by_id.values()
        )
        if duplicate:
            return f"La facture {invoice.number} a déjà été déposée (doublon)"
        return None

    # --- invoices ----------------------------------------------------------------------------
    def integrated_invoices(self) -> list[tuple[FakeFlow, FakeInvoice]]:
        with self.lock:
            for flow in self.flows.values():
                self._maybe_process(flow)
            return [
                (flow, invoice)
                for flow in self.flows.values()
                for invoice in flow.invoices
                if invoice.invoice_id is not None
            ]

    def history(self, invoice_id: int) -> tuple[FakeInvoice, list[tuple[str, datetime]]]:
        with self.lock:
            invoice = self.invoices_by_id.get(invoice_id)
            if invoice is None or invoice.integrated_at is None:
                raise FunctionalError(20003, f"La facture {invoice_id} est introuvable")
            now = self.clock.now()
            steps: list[tuple[str, datetime]] = []
            for offset, status in INVOICE_TIMELINE:
                at = invoice.integrated_at + timedelta(seconds=offset)
                exception_at = EXCEPTION_AT.get(invoice.outcome or "")
                if exception_at is not None and offset >= exception_at:
                    at = invoice.integrated_at + timedelta(seconds=exception_at)
                    if at <= now:
                        steps.append((invoice.outcome or "", at))
                    break
                if at <= now:
                    steps.append((status, at))
            return invoice, steps

    # --- structures --------------------------------------------------------------------------
    def structure_by_siret(self, siret: str) -> dict[str, Any] | None:
        return next((s for s in self.structures.values() if s["siret"] == siret), None)

    def structure(self, structure_id: Any) -> dict[str, Any]:
        try:
            return self.structures[int(structure_id)]
        except (KeyError, TypeError, ValueError):
            raise FunctionalError(20004, f"La structure {structure_id} est introuvable") from None


def _flow_files(content: bytes, file_name: str) -> list[tuple[str, bytes]]:
    """The invoice files of a flow: one PDF, or every PDF of a `.tar.gz`."""
    if not file_name.lower().endswith((".tar.gz", ".tgz")):
        return [(file_name, content)]
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
            return [
                (member.name, archive.extractfile(member).read())  # type: ignore[union-attr]
                for member in archive.getmembers()
                if member.isfile()
            ]
    except tarfile.TarError as exc:
        raise FunctionalError(20005, f"L'archive {file_name} est illisible : {exc}") from exc
