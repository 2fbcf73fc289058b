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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.deposit_types import DepositOutcome, DepositRequest, flow_file
from connectors.chorus_pro.errors import (
    ChorusAmbiguousFailure,
    ChorusAuthError,
    ChorusProError,
    ChorusRejected,
)
from connectors.chorus_pro.models import InvoiceSummary
from connectors.chorus_pro.preflight import BuyerDirectory, FacturXCheck, check_before_deposit
from connectors.chorus_pro.reconcile import adopt, find_on_chorus
from dossiers.chorus_deposits import records
from dossiers.chorus_deposits.lifecycle import FIRST_POLL, DepositState
from dossiers.chorus_deposits.models import ChorusDeposit
from dossiers.db import transaction, utcnow
from dossiers.errors import ConflictError
from dossiers.i18n import tr

S = DepositState


@dataclass
class _Decision:
    """What the calls decided for one invoice, recorded afterwards (no transaction during calls)."""

    request: DepositRequest
    state: DepositState | None  # None: adopt `found`
    reason: str | None = None
    sent: bool = False
    retry: bool = False  # look it up again after `reconcile_after`
    found: InvoiceSummary | None = None
    error: ChorusAuthError | None = None  # raised once everything is recorded
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Claim:
    request: DepositRequest
    must_look_up: bool


class Depositor:
    """Deposits invoices: one (`deposit`), a wave in parallel (`deposit_wave`), or several in
    one `.tar.gz` flow (`deposit_batch`). Thread-safe; holds no transaction during a call."""

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
        """Deposit one invoice; `ConflictError` if it is being deposited right now."""
        return self._run([request], together=False, single=True)[0]

    def deposit_wave(
        self,
        requests: Sequence[DepositRequest],
        *,
        concurrency: int | None = None,
        chunk_size: int = 32,
        chunks_in_flight: int = 4,
    ) -> list[DepositOutcome]:
        """Deposit many invoices, each in its own flow, at most `concurrency` calls at a time.

        Claims and outcomes are committed once per chunk (every invoice still gets its own
        audit events): with one fsynced commit per state change, the database, not Chorus Pro,
        would set the pace. Chunks overlap, so one chunk's commits run while another's calls
        wait on the network.
        """
        workers = concurrency or self.client.settings.max_concurrency
        chunks = [requests[i : i + chunk_size] for i in range(0, len(requests), chunk_size)]
        with (
            ThreadPoolExecutor(max_workers=workers) as calls,
            ThreadPoolExecutor(max_workers=chunks_in_flight) as pipeline,
        ):
            futures = [
                pipeline.submit(self._run, chunk, together=False, pool=calls) for chunk in chunks
            ]
            return [outcome for future in futures for outcome in future.result()]

    def deposit_batch(self, requests: Sequence[DepositRequest]) -> list[DepositOutcome]:
        """Deposit several invoices in one flow (a `.tar.gz`); one outcome per request."""
        return self._run(requests, together=True)

    # --- the three phases --------------------------------------------------------------------
    def _run(
        self,
        requests: Sequence[DepositRequest],
        *,
        together: bool,
        pool: ThreadPoolExecutor | None = None,
        single: bool = False,
    ) -> list[DepositOutcome]:
        now = self.clock()
        outcomes: dict[str, DepositOutcome] = {}
        claims = self._claim_all(requests, now, outcomes, single=single)
        if together:
            decisions = self._decide_together(claims)
        elif pool is not None:
            decisions = list(pool.map(self._decide_alone, claims))
        else:
            decisions = [self._decide_alone(claim) for claim in claims]
        error = self._record_all(decisions, now, outcomes)
        if error is not None:
            raise error
        return [outcomes[r.invoice_number] for r in requests]

    def _claim_all(
        self,
        requests: Sequence[DepositRequest],
        now: datetime,
        outcomes: dict[str, DepositOutcome],
        *,
        single: bool,
    ) -> list[_Claim]:
        """Record every attempt before anything is sent, in one transaction.

        Another worker inserting one of these invoices at the same moment makes the insert
        fail; the chunk is then claimed again invoice by invoice, each in a savepoint.
        """
        try:
            return self._claim_chunk(requests, now, outcomes, single=single, careful=False)
        except IntegrityError:
            return self._claim_chunk(requests, now, outcomes, single=single, careful=True)

    def _claim_chunk(
        self,
        requests: Sequence[DepositRequest],
        now: datetime,
        outcomes: dict[str, DepositOutcome],
        *,
        single: bool,
        careful: bool,
    ) -> list[_Claim]:
        claims: list[_Claim] = []
        with transaction(self.sessions) as session:
            rows = records.find_many(session, [r.invoice_number for r in requests], lock=True)
            for request in requests:
                try:
                    if careful:
                        with session.begin_nested():
                            claim = self._claim(
                                session, rows.get(request.invoice_number), request, now, outcomes
                            )
                    else:
                        claim = self._claim(
                            session, rows.get(request.invoice_number), request, now, outcomes
                        )
                except (ConflictError, IntegrityError) as exc:
                    conflict = exc if isinstance(exc, ConflictError) else _in_progress(request)
                    if single:
                        raise conflict from exc
                    if isinstance(exc, IntegrityError) and not careful:
                        raise  # the transaction is spoilt: claim again, one savepoint each
                    row = records.find(session, request.invoice_number)
                    state = row.state if row else S.PENDING
                    outcomes[request.invoice_number] = DepositOutcome(
                        request.invoice_number, state, False, reason=conflict.message
                    )
                    continue
                if claim is not None:
                    claims.append(claim)
        return claims

    def _claim(
        self,
        session: Session,
        row: ChorusDeposit | None,
        request: DepositRequest,
        now: datetime,
        outcomes: dict[str, DepositOutcome],
    ) -> _Claim | None:
        """Claim one invoice (its locked record `row`), or record why it needs no call now."""
        if row is not None and row.state in (S.SUBMITTED, S.SETTLED):
            if row.content_sha256 != request.sha256:
                raise ConflictError(
                    f"La facture {row.invoice_number} est déjà sur Chorus Pro avec un autre "
                    "contenu : émettre un avoir plutôt que la redéposer.",
                    f"Invoice {row.invoice_number} is already on Chorus Pro with another "
                    "content: issue a credit note instead of depositing it again.",
                )
            outcomes[request.invoice_number] = DepositOutcome.of(row)
            return None
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
        must_look_up = row is not None and row.state == S.UNCERTAIN
        if row is not None and must_look_up and row.next_poll_at and now < row.next_poll_at:
            outcomes[request.invoice_number] = DepositOutcome.of(row)
            return None
        records.claim(
            session,
            row,
            request.invoice_number,
            file_name=request.resolved_file_name,
            content_sha256=request.sha256,
            now=now,
            lease=self.lease,
            customer_id=request.customer_id,
        )
        return _Claim(request, must_look_up)

    def _look_up(self, claim: _Claim) -> _Decision | None:
        """After an ambiguous failure: a decision when Chorus Pro has the invoice (adopt) or
        cannot tell; None when it is safe to send it again."""
        try:
            found = find_on_chorus(self.client, claim.request.invoice_number)
        except ChorusProError as exc:
            return _Decision(claim.request, S.UNCERTAIN, exc.message, retry=True, error=_auth(exc))
        return _Decision(claim.request, None, found=found) if found else None

    def _check(self, request: DepositRequest) -> _Decision | None:
        """A decision when the invoice must not be sent (problems, or Chorus Pro unusable)."""
        try:
            _routing, problems = check_before_deposit(
                self.directory,
                request.pdf,
                invoice_number=request.invoice_number,
                check_facturx=self.check_facturx,
            )
        except ChorusProError as exc:
            return _Decision(request, S.FAILED, exc.message, error=_auth(exc))
        if problems:
            return _Decision(request, S.TO_FIX, " ; ".join(str(p) for p in problems))
        return None

    def _decide_alone(self, claim: _Claim) -> _Decision:
        looked_up = self._look_up(claim) if claim.must_look_up else None
        if looked_up is not None:
            return looked_up
        return self._check(claim.request) or self._send([claim.request])[0]

    def _decide_together(self, claims: list[_Claim]) -> list[_Decision]:
        decisions: list[_Decision] = []
        ready: list[DepositRequest] = []
        for claim in claims:
            looked_up = self._look_up(claim) if claim.must_look_up else None
            stop = looked_up or self._check(claim.request)
            if stop is not None:
                decisions.append(stop)
            else:
                ready.append(claim.request)
        return decisions + (self._send(ready) if ready else [])

    def _send(self, ready: list[DepositRequest]) -> list[_Decision]:
        content, name = flow_file(ready)
        try:
            receipt = self.client.deposit_flow(content, name)
        except ChorusAmbiguousFailure as exc:
            return [_Decision(r, S.UNCERTAIN, exc.message, retry=True) for r in ready]
        except ChorusRejected as exc:
            return [_Decision(r, S.TO_FIX, exc.message) for r in ready]
        except ChorusProError as exc:
            return [_Decision(r, S.FAILED, exc.message, error=_auth(exc)) for r in ready]
        fields: dict[str, object] = {
            "flow_number": receipt.flow_number,
            "deposit_date": receipt.deposit_date,
            "flow_state": None,
        }
        return [_Decision(r, S.SUBMITTED, sent=True, fields=fields) for r in ready]

    def _record_all(
        self, decisions: list[_Decision], now: datetime, outcomes: dict[str, DepositOutcome]
    ) -> ChorusAuthError | None:
        """Record every outcome in one transaction; returns the first credentials error."""
        numbers = [d.request.invoice_number for d in decisions]
        with transaction(self.sessions) as session:
            rows = records.find_many(session, numbers, lock=True)
            for decision in decisions:
                row = rows[decision.request.invoice_number]
                if decision.state is None and decision.found is not None:
                    adopt(session, row, decision.found, now)
                else:
                    assert decision.state is not None
                    if decision.retry:
                        poll_at: datetime | None = now + self.reconcile_after
                    else:
                        poll_at = now + FIRST_POLL if decision.state == S.SUBMITTED else None
                    records.move(
                        session,
                        row,
                        decision.state,
                        now=now,
                        reason=decision.reason,
                        next_poll_at=poll_at,
                        **decision.fields,
                    )
                outcomes[row.invoice_number] = DepositOutcome.of(row, sent=decision.sent)
        return next((d.error for d in decisions if d.error is not None), None)


def _auth(exc: ChorusProError) -> ChorusAuthError | None:
    return exc if isinstance(exc, ChorusAuthError) else None


def _in_progress(request: DepositRequest) -> ConflictError:
    return ConflictError(
        f"Le dépôt de la facture {request.invoice_number} est déjà en cours.",
        f"Invoice {request.invoice_number} is already being deposited.",
    )


__all__ = ["DepositOutcome", "DepositRequest", "Depositor", "flow_file"]
