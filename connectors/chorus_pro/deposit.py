"""Depositing invoices on Chorus Pro, at most once each.

For every invoice: the deposit is *recorded* (`pending`, file name, SHA-256) before the call;
the pre-deposit checks run (`preflight`); then one `deposer/flux` call carries the PDF (or, for a
batch, a `.tar.gz` of PDFs). The outcome is recorded in its own transaction:

- accepted → `submitted` (the follow-up polls it);
- refused (`codeRetour` ≠ 0) or bound to bounce → `to_fix` with the reason, nothing sent;
- certainly not sent (unreachable, rate limited, credentials) → `failed`, retried later;
- ambiguous (timeout, reset, 5xx, unreadable answer) → `uncertain`. Chorus Pro only lists an
  invoice once its flow is integrated, so the next attempt waits `reconcile_after`, then
  searches `rechercher/fournisseur` by invoice number: found → adopted, never sent again; not
  found → sent again.

A `pending` row left by a crash is treated as `uncertain`. The unique invoice number in
`chorus_deposits` makes two workers' claims on one invoice collide instead of both sending.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.errors import (
    ChorusAmbiguousFailure,
    ChorusAuthError,
    ChorusProError,
    ChorusRejected,
)
from connectors.chorus_pro.models import InvoiceSummary
from connectors.chorus_pro.preflight import BuyerDirectory, FacturXCheck, check_before_deposit
from dossiers.db import transaction, utcnow
from dossiers.deposits import records
from dossiers.deposits.lifecycle import FIRST_POLL, DepositState
from dossiers.deposits.models import ChorusDeposit
from dossiers.errors import ConflictError
from dossiers.i18n import tr

S = DepositState


@dataclass(frozen=True)
class DepositRequest:
    invoice_number: str
    pdf: bytes
    customer_id: int | None = None
    file_name: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def resolved_file_name(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", self.invoice_number)[:45]
        return self.file_name or f"{stem}.pdf"


@dataclass(frozen=True)
class DepositOutcome:
    invoice_number: str
    state: DepositState
    sent: bool  # whether this call sent the invoice to Chorus Pro
    flow_number: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, row: ChorusDeposit, *, sent: bool = False) -> DepositOutcome:
        return cls(row.invoice_number, row.state, sent, row.flow_number, row.reason)


def find_on_chorus(client: ChorusProClient, invoice_number: str) -> InvoiceSummary | None:
    """The invoice as Chorus Pro lists it (integrated flows only), every page searched."""
    found = client.search_supplier_invoices(invoice_number=invoice_number)
    return next((f for f in found if f.invoice_number == invoice_number), None)


def adopt(session: Session, row: ChorusDeposit, found: InvoiceSummary, now: datetime) -> None:
    """Chorus Pro already has the invoice: record it as submitted, do not send it again."""
    records.move(
        session,
        row,
        S.SUBMITTED,
        now=now,
        next_poll_at=now,
        flow_number=found.flow_number or row.flow_number,
        chorus_invoice_id=found.invoice_id,
        flow_state=row.flow_state or "IN_INTEGRE",
    )


class Depositor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: ChorusProClient,
        check_facturx: FacturXCheck,
        *,
        directory: BuyerDirectory | None = None,
        clock: Callable[[], datetime] = utcnow,
        reconcile_after: timedelta | None = None,
        lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.check_facturx = check_facturx
        self.clock = clock
        self.directory = directory or BuyerDirectory(client, clock=clock)
        self.reconcile_after = (
            reconcile_after
            if reconcile_after is not None
            else timedelta(seconds=client.settings.reconcile_after_seconds)
        )
        self.lease = lease

    def deposit(self, request: DepositRequest) -> DepositOutcome:
        return self.deposit_batch([request])[0]

    def deposit_batch(self, requests: Sequence[DepositRequest]) -> list[DepositOutcome]:
        """Deposit several invoices in one flow (a `.tar.gz`); one outcome per request."""
        now = self.clock()
        outcomes: dict[str, DepositOutcome] = {}
        claimed: list[DepositRequest] = []
        for request in requests:
            try:
                outcome, must_look_up = self._claim(request, now)
            except ConflictError as exc:
                if len(requests) == 1:
                    raise
                with self.sessions() as session:
                    row = records.find(session, request.invoice_number)
                    state = row.state if row else S.PENDING
                outcomes[request.invoice_number] = DepositOutcome(
                    request.invoice_number, state, False, reason=exc.message
                )
                continue
            if outcome is not None:
                outcomes[request.invoice_number] = outcome
            elif must_look_up and self._reconciled(request, now, outcomes):
                continue
            else:
                claimed.append(request)
        ready = self._preflight(claimed, now, outcomes)
        if ready:
            self._send(ready, now, outcomes)
        return [outcomes[r.invoice_number] for r in requests]

    # --- steps -------------------------------------------------------------------------------
    def _claim(self, request: DepositRequest, now: datetime) -> tuple[DepositOutcome | None, bool]:
        """Record the attempt before anything is sent; (outcome, must look up) when not claimed."""
        try:
            return self._claim_once(request, now)
        except IntegrityError as exc:  # another worker inserted the same invoice first
            raise ConflictError(
                f"Le dépôt de la facture {request.invoice_number} est déjà en cours.",
                f"Invoice {request.invoice_number} is already being deposited.",
            ) from exc

    def _claim_once(
        self, request: DepositRequest, now: datetime
    ) -> tuple[DepositOutcome | None, bool]:
        with transaction(self.sessions) as session:
            row = records.find(session, request.invoice_number, lock=True)
            if row is not None and row.state in (S.SUBMITTED, S.SETTLED):
                if row.content_sha256 != request.sha256:
                    raise ConflictError(
                        f"La facture {row.invoice_number} est déjà sur Chorus Pro avec un autre "
                        "contenu : émettre un avoir plutôt que la redéposer.",
                        f"Invoice {row.invoice_number} is already on Chorus Pro with another "
                        "content: issue a credit note instead of depositing it again.",
                    )
                return DepositOutcome.of(row), False
            if row is not None and row.state == S.PENDING and now - row.updated_at >= self.lease:
                # Left by a crash mid-call: as ambiguous as a timeout.
                records.move(
                    session,
                    row,
                    S.UNCERTAIN,
                    now=now,
                    reason=tr("Dépôt interrompu", "Deposit interrupted"),
                    next_poll_at=row.updated_at + self.reconcile_after,
                )
            if row is not None and row.state == S.UNCERTAIN:
                if row.next_poll_at is not None and now < row.next_poll_at:
                    return DepositOutcome.of(row), False
                records.claim(
                    session,
                    request.invoice_number,
                    file_name=request.resolved_file_name,
                    content_sha256=request.sha256,
                    now=now,
                    lease=self.lease,
                )
                return None, True
            records.claim(
                session,
                request.invoice_number,
                file_name=request.resolved_file_name,
                content_sha256=request.sha256,
                now=now,
                lease=self.lease,
                customer_id=request.customer_id,
            )
            return None, False

    def _reconciled(
        self, request: DepositRequest, now: datetime, outcomes: dict[str, DepositOutcome]
    ) -> bool:
        """After an ambiguous failure: True when Chorus Pro already has the invoice (or when
        we cannot tell yet); False when it is safe to send it again."""
        try:
            found = find_on_chorus(self.client, request.invoice_number)
        except ChorusProError as exc:
            self._finish(request, S.UNCERTAIN, now, outcomes, reason=exc.message, retry=True)
            if isinstance(exc, ChorusAuthError):
                raise
            return True
        if found is None:
            return False
        with transaction(self.sessions) as session:
            row = records.find(session, request.invoice_number, lock=True)
            assert row is not None
            adopt(session, row, found, now)
            outcomes[request.invoice_number] = DepositOutcome.of(row)
        return True

    def _preflight(
        self, claimed: list[DepositRequest], now: datetime, outcomes: dict[str, DepositOutcome]
    ) -> list[DepositRequest]:
        ready: list[DepositRequest] = []
        for position, request in enumerate(claimed):
            try:
                _routing, problems = check_before_deposit(
                    self.directory,
                    request.pdf,
                    invoice_number=request.invoice_number,
                    check_facturx=self.check_facturx,
                )
            except ChorusProError as exc:
                # Nothing was sent: release every claim not yet decided, then report.
                for waiting in claimed[position:]:
                    self._finish(waiting, S.FAILED, now, outcomes, reason=exc.message)
                if isinstance(exc, ChorusAuthError):
                    raise
                return ready
            if problems:
                reason = " ; ".join(str(p) for p in problems)
                self._finish(request, S.TO_FIX, now, outcomes, reason=reason)
            else:
                ready.append(request)
        return ready

    def _send(
        self, ready: list[DepositRequest], now: datetime, outcomes: dict[str, DepositOutcome]
    ) -> None:
        content, name = flow_file(ready)
        try:
            receipt = self.client.deposit_flow(content, name)
        except ChorusAmbiguousFailure as exc:
            for request in ready:
                self._finish(request, S.UNCERTAIN, now, outcomes, reason=exc.message, retry=True)
            return
        except ChorusRejected as exc:
            for request in ready:
                self._finish(request, S.TO_FIX, now, outcomes, reason=exc.message)
            return
        except ChorusProError as exc:
            for request in ready:
                self._finish(request, S.FAILED, now, outcomes, reason=exc.message)
            if isinstance(exc, ChorusAuthError):
                raise
            return
        for request in ready:
            self._finish(
                request,
                S.SUBMITTED,
                now,
                outcomes,
                sent=True,
                flow_number=receipt.flow_number,
                deposit_date=receipt.deposit_date,
                flow_state=None,
                poll_at=now + FIRST_POLL,
            )

    def _finish(
        self,
        request: DepositRequest,
        state: DepositState,
        now: datetime,
        outcomes: dict[str, DepositOutcome],
        *,
        reason: str | None = None,
        retry: bool = False,
        sent: bool = False,
        poll_at: datetime | None = None,
        **fields: object,
    ) -> None:
        next_poll = now + self.reconcile_after if retry else poll_at
        with transaction(self.sessions) as session:
            row = records.find(session, request.invoice_number, lock=True)
            assert row is not None
            records.move(
                session, row, state, now=now, reason=reason, next_poll_at=next_poll, **fields
            )
            outcomes[request.invoice_number] = DepositOutcome.of(row, sent=sent)


def flow_file(requests: Sequence[DepositRequest]) -> tuple[bytes, str]:
    """One PDF as is, several as a `.tar.gz` flow (Chorus Pro's multi-invoice deposit)."""
    if len(requests) == 1:
        return requests[0].pdf, requests[0].resolved_file_name
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for request in requests:
            info = tarfile.TarInfo(request.resolved_file_name)
            info.size = len(request.pdf)
            archive.addfile(info, io.BytesIO(request.pdf))
    digest = hashlib.sha256(b"".join(r.sha256.encode() for r in requests)).hexdigest()[:12]
    return buffer.getvalue(), f"lot-{len(requests)}-{digest}.tar.gz"
