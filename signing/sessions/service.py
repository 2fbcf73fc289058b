"""The signing session: open, invite, view, send a code, sign, decline, remind, expire.

Every method is one database transaction (plus the audit events of what it changed); e-mails go
out after the commit, so a mail outage never undoes a step: the method still returns (what it
opened or signed, with the recipients the outage held back) and calls the completion hook.
Each invitation has its own idempotency key, so `resend_invitations` and the periodic
`send_reminders` send a held-back invitation again and never deliver one twice (the mail
ledger remembers what went out). Opening the same contract again for the same signers while
its session is open returns that session instead of a duplicate. The SMS is sent inside the
transaction: if Twilio refuses, no code is recorded and nothing changes. No code is sent, and
no signature accepted, before the signer viewed the document.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.db import transaction
from dossiers.errors import LiasseError
from signing.event_context import RequestContext, record_event
from signing.otp import service as otp
from signing.sessions import access, notify
from signing.sessions.deps import SessionOutcome, SigningDeps
from signing.sessions.errors import AlreadyDone, InvalidSessionInput, SessionNotFound
from signing.sessions.maintenance import awaiting_invitation, due_for_reminder, expire_overdue
from signing.sessions.models import (
    Ordering,
    SessionStatus,
    SignerState,
    SigningSession,
    SigningSigner,
)
from signing.sessions.prepare import (
    SignerSpec,
    check_title,
    prepare_contract,
    sha256_hex,
    sms_title,
    validate_signers,
)
from signing.sessions.signer_links import make_signer_token, read_signer_token, signing_url
from signing.sessions.signing_step import SignedOutcome, sign_and_maybe_complete

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailDelivery:
    """What became of the e-mails of one step, sent after its commit."""

    sent: tuple[str, ...] = ()  # handed to the mail server (now, or already before)
    unsent: tuple[str, ...] = ()  # held back by an outage: retried by resend / reminders
    error: Exception | None = None  # the outage (a `LiasseError` with French and English)


@dataclass(frozen=True)
class OpenedSession:
    reference: str
    created: bool  # False: the same contract was already open for the same signers
    invitations: MailDelivery = MailDelivery()

    @property
    def unsent(self) -> tuple[str, ...]:
        return self.invitations.unsent

    @property
    def mail_error(self) -> Exception | None:
        return self.invitations.error


@dataclass(frozen=True)
class DocumentView:
    reference: str
    title: str
    pdf: bytes
    sha256: str
    signer_name: str
    state: str


class SigningService:
    def __init__(self, deps: SigningDeps) -> None:
        self.deps = deps

    # --- opening -------------------------------------------------------------------------------
    def open(
        self,
        title: str,
        contract_pdf: bytes,
        signers: list[SignerSpec],
        *,
        ordering: Ordering = Ordering.SEQUENTIAL,
        customer_id: int | None = None,
        subject_ref: str | None = None,
        opened_by: str = "system",
        request: RequestContext = RequestContext(),
    ) -> str:
        """`open_session`, returning only the reference."""
        return self.open_session(
            title,
            contract_pdf,
            signers,
            ordering=ordering,
            customer_id=customer_id,
            subject_ref=subject_ref,
            opened_by=opened_by,
            request=request,
        ).reference

    def open_session(
        self,
        title: str,
        contract_pdf: bytes,
        signers: list[SignerSpec],
        *,
        ordering: Ordering = Ordering.SEQUENTIAL,
        customer_id: int | None = None,
        subject_ref: str | None = None,
        opened_by: str = "system",
        request: RequestContext = RequestContext(),
    ) -> OpenedSession:
        """Open a session and invite whoever signs first; idempotent by input.

        The same contract (SHA-256), title, ordering, customer, subject and signers as a session
        still open return that session (`created=False`) and send its pending invitations
        again, so a retry after a failure never makes a duplicate. A mail outage after the
        commit does not fail the call: the reference is returned with the invitations it held
        back (`unsent`), which `resend_invitations` or the next `send_reminders` deliver.
        """
        same = _Fingerprint(
            check_title(title),
            sha256_hex(contract_pdf),
            ordering,
            customer_id,
            subject_ref,
            tuple(
                (spec.full_name.strip(), spec.email.strip().lower(), phone, spec.role.strip())
                for spec, phone in zip(signers, validate_signers(signers), strict=True)
            ),
        )
        now = self.deps.clock()
        with self.deps.factory() as s:
            existing = same.open_session_in(s, now)
        if existing is not None:
            return OpenedSession(existing, False, self.resend_invitations(existing))
        reference = uuid.uuid4().hex[:20]
        prepared = prepare_contract(contract_pdf, title, reference, signers, now, opened_by)
        mail: list[notify.MailMessage] = []
        with transaction(self.deps.factory) as s:
            existing = same.open_session_in(s, now)  # opened meanwhile by a concurrent retry
            if existing is not None:
                return OpenedSession(existing, False, MailDelivery())
            signing = SigningSession(
                reference=reference,
                title=title.strip(),
                ordering=ordering,
                customer_id=customer_id,
                subject_ref=subject_ref,
                original_sha256=prepared.original_sha256,
                current_sha256=hashlib.sha256(prepared.pdf).hexdigest(),
                pdf=prepared.pdf,
                created_at=now,
                expires_at=now + self.deps.session_ttl,
            )
            for i, spec in enumerate(signers):
                box = prepared.boxes[i]
                signing.signers.append(
                    SigningSigner(
                        position=i + 1,
                        full_name=spec.full_name.strip(),
                        email=spec.email.strip(),
                        phone_e164=prepared.phones[i],
                        role=spec.role,
                        field_name=prepared.field_names[i],
                        box={"page": box.page, "rect": list(box.rect)},
                        state=SignerState.INVITED,
                    )
                )
            s.add(signing)
            s.flush()
            record_event(
                s,
                "signing.opened",
                access.subject(signing, opened_by),
                request,
                {
                    "title": signing.title,
                    "original_sha256": prepared.original_sha256,
                    "prepared_sha256": signing.current_sha256,
                    "ordering": ordering.value,
                    "signers": [sg.email for sg in signing.signers],
                },
                at=now,
            )
            for signer in access.whose_turn(signing):
                mail.append(self._invite(s, signing, signer, request, reminder=False))
        return OpenedSession(reference, True, self._send_all(mail))

    def _invite(
        self,
        s,
        signing: SigningSession,
        signer: SigningSigner,
        request: RequestContext,
        reminder: bool,
    ) -> notify.MailMessage:
        """Record the invitation (or reminder); the caller e-mails it once committed."""
        now = self.deps.clock()
        token = make_signer_token(self.deps.secret_key, signing.reference, signer.id)
        if reminder:
            signer.reminded_at = now
        else:
            signer.invited_at = now
        action = "signing.reminded" if reminder else "signing.invited"
        record_event(
            s,
            action,
            access.subject(signing, "system"),
            request,
            {"signer": signer.position, "email": signer.email},
            at=now,
        )
        if not reminder:
            return self._invitation(signing, signer)
        return notify.invitation(
            signer.email,
            signer.full_name,
            signing.title,
            signing_url(self.deps.public_base_url, token),
            f"{action}:{signer.id}:{now.isoformat()}",
            reminder,
        )

    def _invitation(self, signing: SigningSession, signer: SigningSigner) -> notify.MailMessage:
        """A signer's invitation, under its one key: sent again, it is never delivered twice."""
        token = make_signer_token(self.deps.secret_key, signing.reference, signer.id)
        return notify.invitation(
            signer.email,
            signer.full_name,
            signing.title,
            signing_url(self.deps.public_base_url, token),
            f"signing.invited:{signer.id}",
            reminder=False,
        )

    def resend_invitations(self, reference: str) -> MailDelivery:
        """Send again the invitation of every signer whose turn it is (after a mail outage);
        already delivered ones are not delivered twice."""
        with self.deps.factory() as s:
            signing = access.load_session(s, reference, lock=False)
            access.require_open(signing)
            messages = [
                self._invitation(signing, signer)
                for signer in access.whose_turn(signing)
                if signer.invited_at is not None
            ]
        return self._send_all(messages)

    def _send_all(self, messages: list[notify.MailMessage]) -> MailDelivery:
        """After the commit only: a mail outage never undoes a recorded step. The first failure
        stops the round (the server is likely down); the rest wait for the retry."""
        sent: list[str] = []
        unsent: list[str] = []
        error: Exception | None = None
        for message in messages:
            if error is None:
                try:
                    self.deps.mailer.send(message)
                    sent.append(message.to)
                    continue
                except (LiasseError, OSError) as exc:
                    error = exc
                    log.warning("mail %s not sent: %s", message.idempotency_key, exc)
            unsent.append(message.to)
        return MailDelivery(tuple(sent), tuple(unsent), error)

    # --- the signer's steps -------------------------------------------------------------------
    def _link(self, token: str):
        return read_signer_token(
            self.deps.secret_key, token, int(self.deps.link_ttl.total_seconds())
        )

    def view(self, token: str, request: RequestContext) -> DocumentView:
        link = self._link(token)
        with transaction(self.deps.factory) as s:
            signing = access.load_session(s, link.reference)
            signer = access.signer_of(signing, link.signer_id)
            access.require_open(signing)
            now = self.deps.clock()
            if signer.state is SignerState.INVITED:
                signer.state = SignerState.VIEWED
            signer.viewed_at = signer.viewed_at or now
            record_event(
                s,
                "signing.viewed",
                access.subject(signing, signer.email),
                request,
                {"signer": signer.position, "document_sha256": signing.current_sha256},
                at=now,
            )
            return DocumentView(
                signing.reference,
                signing.title,
                signing.pdf,
                signing.current_sha256,
                signer.full_name,
                signer.state.value,
            )

    def request_code(self, token: str, request: RequestContext) -> None:
        """ "Sign" was clicked: send a code bound to this signer and the document shown now."""
        link = self._link(token)
        with transaction(self.deps.factory) as s:
            signing = access.load_session(s, link.reference)
            signer = access.signer_of(signing, link.signer_id)
            access.require_turn(signing, signer)
            access.require_viewed(signer)
            who = access.subject(signing, signer.email)
            if self.deps.identity_check is not None:
                evidence = self.deps.identity_check.verify(
                    signer_email=signer.email, signer_name=signer.full_name
                )
                record_event(
                    s,
                    "signing.identity_checked",
                    who,
                    request,
                    {
                        "signer": signer.position,
                        "method": evidence.method,
                        "reference": evidence.reference,
                        "verified": evidence.verified,
                    },
                )
            issued = otp.issue_code(
                s,
                signer.otp_ref,
                signing.current_sha256,
                key=self.deps.secret_key,
                subject=who,
                request=request,
                policy=self.deps.otp_policy,
                clock=self.deps.clock,
            )
            minutes = int(self.deps.otp_policy.ttl.total_seconds() // 60)
            body = (
                f"Liasse : votre code de signature pour « {sms_title(signing.title)} » est "
                f"{issued.code}. "
                f"Valable {minutes} min. Ne le communiquez à personne."
            )
            sid = self.deps.sms.send(signer.phone_e164, body, issued.idempotency_key)
            otp.record_delivery(s, issued.send_id, sid)
            signer.state = SignerState.CODE_SENT

    def sign(
        self, token: str, code: str, request: RequestContext, shown_sha256: str | None = None
    ) -> SignedOutcome:
        link = self._link(token)
        refused: otp.CheckResult | None = None
        mail: list[notify.MailMessage] = []
        with transaction(self.deps.factory) as s:
            signing = access.load_session(s, link.reference)
            signer = access.signer_of(signing, link.signer_id)
            access.require_turn(signing, signer)
            access.require_viewed(signer)
            result = sign_and_maybe_complete(
                s, self.deps, signing, signer, code, request, shown_sha256
            )
            if isinstance(result, otp.CheckResult):
                refused = result  # commit the failure count, then refuse
            else:
                if result.completed:
                    mail += self._notify_outcome(signing, completed=True, reason=None)
                else:
                    for nxt in access.whose_turn(signing):
                        if nxt.invited_at is None:
                            mail.append(self._invite(s, signing, nxt, request, reminder=False))
        if refused is not None:
            refused.raise_if_refused()
        delivery = self._send_all(mail)
        assert not isinstance(result, otp.CheckResult)
        if result.outcome is not None and self.deps.on_outcome:
            self.deps.on_outcome(result.outcome)
        return dataclasses.replace(result, unsent_mail=delivery.unsent)

    def decline(self, token: str, reason: str, request: RequestContext) -> MailDelivery:
        link = self._link(token)
        reason = reason.strip()
        if not reason:
            raise InvalidSessionInput("Indiquez le motif du refus.", "Give a reason for declining.")
        with transaction(self.deps.factory) as s:
            signing = access.load_session(s, link.reference)
            signer = access.signer_of(signing, link.signer_id)
            access.require_open(signing)
            if signer.state in access.FINISHED:
                raise AlreadyDone(signer.state.value)
            now = self.deps.clock()
            signer.state, signer.declined_at, signer.decline_reason = (
                SignerState.DECLINED,
                now,
                reason[:2000],
            )
            signing.status = SessionStatus.DECLINED
            record_event(
                s,
                "signing.declined",
                access.subject(signing, signer.email),
                request,
                {"signer": signer.position, "reason": reason[:2000]},
                at=now,
            )
            outcome = SessionOutcome(
                signing.reference,
                signing.subject_ref,
                signing.customer_id,
                "declined",
                decline_reason=reason,
            )
            mail = self._notify_outcome(signing, completed=False, reason=reason)
        delivery = self._send_all(mail)
        if self.deps.on_outcome:
            self.deps.on_outcome(outcome)
        return delivery

    def _notify_outcome(
        self, signing: SigningSession, completed: bool, reason: str | None
    ) -> list[notify.MailMessage]:
        recipients = [sg.email for sg in signing.signers]
        if self.deps.notify_email:
            recipients.append(self.deps.notify_email)
        messages = []
        for to in dict.fromkeys(recipients):
            key = f"signing.outcome:{signing.reference}:{to}"
            messages.append(notify.outcome_notice(to, signing.title, completed, key, reason))
        return messages

    # --- housekeeping (called by a scheduled flow or the CLI) ----------------------------------
    def send_reminders(self, request: RequestContext = RequestContext()) -> int:
        """Retry every invitation a mail outage held back, then remind whoever is due;
        returns the number of reminders."""
        retried: list[notify.MailMessage] = []
        mail: list[notify.MailMessage] = []
        with transaction(self.deps.factory) as s:
            now = self.deps.clock()
            for signing, signer in awaiting_invitation(s, now):
                retried.append(self._invitation(signing, signer))
            for signing, signer in due_for_reminder(s, now, self.deps.reminder_interval):
                mail.append(self._invite(s, signing, signer, request, reminder=True))
        self._send_all(retried + mail)
        return len(mail)

    def expire_overdue(self, request: RequestContext = RequestContext()) -> list[str]:
        with transaction(self.deps.factory) as s:
            outcomes = expire_overdue(s, self.deps.clock(), request)
        for outcome in outcomes:
            if self.deps.on_outcome:
                self.deps.on_outcome(outcome)
        return [o.reference for o in outcomes]

    # --- reading ---------------------------------------------------------------------------------
    def get(self, reference: str) -> SigningSession:
        with self.deps.factory() as s:
            signing = access.load_session(s, reference, lock=False)
            _ = [sg.state for sg in signing.signers]
            return signing

    def signer_token(self, reference: str, position: int) -> str:
        """A fresh link for signer `position` (the CLI drives sessions with it)."""
        signing = self.get(reference)
        for signer in signing.signers:
            if signer.position == position:
                return make_signer_token(self.deps.secret_key, reference, signer.id)
        raise SessionNotFound(f"{reference}/#{position}")


@dataclass(frozen=True)
class _Fingerprint:
    """What makes two opens the same: contract bytes, title, ordering, customer, subject and
    signers (name, e-mail, E.164 phone, role)."""

    title: str
    original_sha256: str
    ordering: Ordering
    customer_id: int | None
    subject_ref: str | None
    signers: tuple[tuple[str, str, str, str], ...]

    def open_session_in(self, s: Session, now: datetime) -> str | None:
        candidates = s.scalars(
            select(SigningSession).where(
                SigningSession.status == SessionStatus.OPEN,
                SigningSession.original_sha256 == self.original_sha256,
                SigningSession.title == self.title,
            )
        )
        for candidate in candidates:
            if candidate.expires_at <= now:
                continue  # past its deadline: the expiry sweep closes it; open a new one
            signers = tuple(
                (sg.full_name, sg.email.lower(), sg.phone_e164, sg.role.strip())
                for sg in candidate.signers
            )
            if (candidate.ordering, candidate.customer_id, candidate.subject_ref, signers) == (
                self.ordering,
                self.customer_id,
                self.subject_ref,
                self.signers,
            ):
                return candidate.reference
        return None
