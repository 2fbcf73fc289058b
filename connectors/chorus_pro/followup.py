"""Following deposited invoices on Chorus Pro until they are mandated or paid.

`poll_once` is the chain that works in production, per due deposit:

1. `consulterCRDetaille` until the flow state is final (non-final flows keep being polled);
2. once `IN_INTEGRE*`, `rechercher/fournisseur` by flow number, every page, to map the invoice
   number to its `identifiantFactureCPP` (`IN_INTEGRE_PARTIEL`: an invoice of the flow that is
   not listed, or that the report names in error, was not integrated);
3. `consulter/historique` for the current status, mapped to Liasse's lifecycle.

Rejections (`IN_REJETE`, `REJETEE`, `A_RECYCLER`, `IN_INCIDENTE`) put the deposit in `to_fix`
with the reason and call `on_problem(invoice_number, reason)` once the change is committed; a
suspension is reported but still followed. Polls that see no change back off (`poll_delay`).
Deposits left `uncertain` are looked up by invoice number and adopted when Chorus Pro has them.
Each deposit is its own transaction and no transaction is open during a call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.errors import (
    ChorusAuthError,
    ChorusProError,
    ChorusRateLimited,
    explain_technical_error,
)
from connectors.chorus_pro.models import FAILED_FLOW_STATES, FlowReport, InvoiceHistory
from connectors.chorus_pro.reconcile import adopt, find_on_chorus
from dossiers.chorus_deposits import records
from dossiers.chorus_deposits.lifecycle import (
    ATTENTION_STATUSES,
    PROBLEM_STATUSES,
    STOP_POLLING_STATUSES,
    DepositState,
    lifecycle_of,
    poll_delay,
)
from dossiers.chorus_deposits.models import ChorusDeposit
from dossiers.db import transaction
from dossiers.i18n import tr

S = DepositState
OnProblem = Callable[[str, str], None]


@dataclass
class PollReport:
    polled: int = 0
    changed: int = 0
    settled: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # (invoice number, new lifecycle step) for each invoice whose lifecycle moved this run:
    # what the flows layer mirrors onto the invoice itself.
    progress: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    invoice_number: str
    state: DepositState
    flow_number: str | None
    flow_state: str | None
    chorus_invoice_id: int | None
    invoice_status: str | None
    lifecycle: str | None
    idle_polls: int


def due_deposits(session: Session, now: datetime, limit: int, *, force: bool = False) -> list[_Due]:
    """Deposits to poll now (`force`: every followed deposit, whatever its backoff)."""
    due = or_(ChorusDeposit.next_poll_at.is_(None), ChorusDeposit.next_poll_at <= now)
    query = (
        select(ChorusDeposit)
        .where(
            or_(
                and_(ChorusDeposit.state == S.SUBMITTED, True if force else due),
                and_(
                    ChorusDeposit.state == S.UNCERTAIN,
                    ChorusDeposit.next_poll_at.is_not(None),
                    True if force else ChorusDeposit.next_poll_at <= now,
                ),
            )
        )
        .order_by(ChorusDeposit.next_poll_at, ChorusDeposit.id)
        .limit(limit)
    )
    return [
        _Due(
            d.invoice_number,
            d.state,
            d.flow_number,
            d.flow_state,
            d.chorus_invoice_id,
            d.invoice_status,
            d.lifecycle.value if d.lifecycle else None,
            d.idle_polls,
        )
        for d in session.scalars(query)
    ]


def poll_once(
    sessions: sessionmaker[Session],
    client: ChorusProClient,
    now: datetime,
    *,
    on_problem: OnProblem | None = None,
    limit: int = 500,
    force: bool = False,
) -> PollReport:
    """Poll every deposit due at `now` (`force`: all followed ones); returns what happened.

    Credentials errors propagate: every other deposit would fail the same way.
    """
    with transaction(sessions) as session:
        due = due_deposits(session, now, limit, force=force)
    poller = _Poller(sessions, client, now)
    for item in due:
        poller.report.polled += 1
        try:
            if item.state == S.UNCERTAIN:
                poller.look_up(item)
            else:
                poller.follow(item)
        except ChorusAuthError:
            raise
        except ChorusProError as exc:
            poller.report.errors.append((item.invoice_number, exc.message))
            poller.save(item, changed=False, reason=exc.message)
            if isinstance(exc, ChorusRateLimited):
                break  # the quota is spent: the rest stays due for the next run
    if on_problem is not None:
        for invoice_number, reason in poller.report.problems:
            on_problem(invoice_number, reason)
    return poller.report


class _Poller:
    def __init__(self, sessions: sessionmaker[Session], client: ChorusProClient, now: datetime):
        self.sessions = sessions
        self.client = client
        self.now = now
        self.report = PollReport()
        self._flow_reports: dict[str, FlowReport] = {}  # a batch flow is consulted once a run
        self._listings: dict[str, dict[str, int]] = {}

    # --- recording ---------------------------------------------------------------------------
    def save(self, item: _Due, *, changed: bool, **fields: Any) -> None:
        """Store a poll's findings; a poll that got through clears the last error."""
        fields.setdefault("reason", None)
        idle = 0 if changed else item.idle_polls + 1
        with transaction(self.sessions) as session:
            row = records.find(session, item.invoice_number, lock=True)
            assert row is not None
            records.follow(
                session,
                row,
                now=self.now,
                next_poll_at=self.now + poll_delay(idle),
                changed=changed,
                **fields,
            )
        self.report.changed += int(changed)

    def move(self, item: _Due, state: DepositState, reason: str | None = None, **fields: Any):
        with transaction(self.sessions) as session:
            row = records.find(session, item.invoice_number, lock=True)
            assert row is not None
            row.last_polled_at = self.now
            records.move(session, row, state, now=self.now, reason=reason, **fields)
        self.report.changed += 1
        if state == S.TO_FIX and reason:
            self.report.problems.append((item.invoice_number, reason))
        if state == S.SETTLED:
            self.report.settled += 1

    # --- uncertain deposits ------------------------------------------------------------------
    def look_up(self, item: _Due) -> None:
        found = find_on_chorus(self.client, item.invoice_number)
        with transaction(self.sessions) as session:
            row = records.find(session, item.invoice_number, lock=True)
            assert row is not None
            if found is not None:
                adopt(session, row, found, self.now)
            else:
                records.move(
                    session,
                    row,
                    S.UNCERTAIN,
                    now=self.now,
                    reason=tr(
                        "Introuvable sur Chorus Pro après le délai d'intégration : "
                        "sera redéposée au prochain dépôt.",
                        "Not on Chorus Pro after the integration delay: it will be deposited "
                        "again at the next deposit run.",
                    ),
                )
        self.report.changed += 1

    # --- submitted deposits ------------------------------------------------------------------
    def follow(self, item: _Due) -> None:
        number, flow_state = item.invoice_number, item.flow_state
        if flow_state is None or not flow_state.startswith("IN_INTEGRE"):
            flow = self._flow_report(item.flow_number or "")
            flow_state = flow.state
            if not flow.is_final:
                self.save(item, changed=flow_state != item.flow_state, flow_state=flow_state)
                return
            reason = _flow_problem(flow, number)
            if flow_state in FAILED_FLOW_STATES or reason:
                self.move(item, S.TO_FIX, reason or flow_state, flow_state=flow_state)
                return
        invoice_id = item.chorus_invoice_id or self._listing(item.flow_number or "").get(number)
        if invoice_id is None:
            if flow_state == "IN_INTEGRE_PARTIEL":
                self.move(item, S.TO_FIX, _not_integrated(number), flow_state=flow_state)
            else:  # integrated but not listed yet: look again later
                self.save(item, changed=flow_state != item.flow_state, flow_state=flow_state)
            return
        self._apply_history(item, flow_state, invoice_id, self.client.invoice_history(invoice_id))

    def _apply_history(
        self, item: _Due, flow_state: str, invoice_id: int, history: InvoiceHistory
    ) -> None:
        status = history.current_status
        fields: dict[str, Any] = {
            "flow_state": flow_state,
            "chorus_invoice_id": invoice_id,
            "invoice_status": status,
            "status_history": [
                {"code": c.code, "at": c.at, "comment": c.comment}
                for c in sorted(history.changes, key=lambda c: c.at or "")
            ],
        }
        lifecycle = lifecycle_of(status)
        if lifecycle is not None:
            fields["lifecycle"] = lifecycle
            if lifecycle.value != item.lifecycle:
                self.report.progress.append((item.invoice_number, lifecycle.value))
        changed = (
            status != item.invoice_status
            or flow_state != item.flow_state
            or invoice_id != item.chorus_invoice_id
        )
        if status in PROBLEM_STATUSES:
            comment = next((c.comment for c in history.changes if c.code == status), None)
            self.move(item, S.TO_FIX, _status_problem(status, comment), **fields)
        elif status in STOP_POLLING_STATUSES:
            self.move(item, S.SETTLED, **fields)
        else:
            self.save(item, changed=changed, **fields)
            if changed and status in ATTENTION_STATUSES:
                self.report.problems.append((item.invoice_number, _status_problem(status, None)))

    def _flow_report(self, flow_number: str) -> FlowReport:
        if flow_number not in self._flow_reports:
            self._flow_reports[flow_number] = self.client.flow_report(flow_number)
        return self._flow_reports[flow_number]

    def _listing(self, flow_number: str) -> dict[str, int]:
        if flow_number not in self._listings:
            found = self.client.search_supplier_invoices(flow_number=flow_number)
            self._listings[flow_number] = {f.invoice_number: f.invoice_id for f in found}
        return self._listings[flow_number]


def _flow_problem(flow: FlowReport, invoice_number: str) -> str | None:
    """Why this invoice of a final flow was not integrated; None if nothing names it."""
    own = [e.message for e in flow.invoice_errors if e.invoice_number in (invoice_number, None)]
    if flow.state.startswith("IN_INTEGRE") and not own:
        return None
    technical = [
        tr(*explain_technical_error(e.code, e.message, e.nature)) for e in flow.technical_errors
    ]
    if flow.state == "IN_INCIDENTE":
        return tr(
            "Incident de traitement Chorus Pro : redéposer le flux entier.",
            "Chorus Pro processing incident: deposit the whole flow again.",
        )
    details = "; ".join(technical or own) or flow.state
    return tr(
        f"Rejetée par Chorus Pro au dépôt ({flow.state}) : {details}",
        f"Rejected by Chorus Pro on deposit ({flow.state}): {details}",
    )


def _not_integrated(invoice_number: str) -> str:
    return tr(
        f"Flux intégré partiellement : la facture {invoice_number} n'a pas été intégrée.",
        f"Flow partially integrated: invoice {invoice_number} was not integrated.",
    )


def _status_problem(status: str, comment: str | None) -> str:
    note = f" : {comment}" if comment else ""
    note_en = f": {comment}" if comment else ""
    if status == "A_RECYCLER":
        return tr(
            f"À recycler (données d'acheminement erronées : code service, engagement){note}",
            f"To recycle (wrong routing data: service code, legal commitment){note_en}",
        )
    if status == "SUSPENDUE":
        return tr(
            "Suspendue par l'acheteur : compléter avec les pièces demandées.",
            "Suspended by the buyer: complete it with the requested documents.",
        )
    return tr(f"Rejetée par l'acheteur{note}", f"Rejected by the buyer{note_en}")
