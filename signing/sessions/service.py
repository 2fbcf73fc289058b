"""The signing session: open, invite, view, send a code, sign, decline, remind, expire.

Every method is one database transaction (plus the audit events of what it changed); e-mails go
out after the commit, so a mail outage never undoes a signature (reminders re-send). The SMS is
sent inside the transaction: if Twilio refuses, no code is recorded and nothing changes.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from dossiers.db import transaction
from signing.event_context import RequestContext, record_event
from signing.otp import service as otp
from signing.sessions import access, notify
from signing.sessions.deps import SessionOutcome, SigningDeps
from signing.sessions.errors import AlreadyDone, InvalidSessionInput, SessionNotFound
from signing.sessions.maintenance import due_for_reminder, expire_overdue
from signing.sessions.models import (
    Ordering,
    SessionStatus,
    SignerState,
    SigningSession,
    SigningSigner,
)
from signing.sessions.prepare import SignerSpec, prepare_contract
from signing.sessions.signer_links import make_signer_token, read_signer_token, signing_url
from signing.sessions.signing_step import SignedOutcome, sign_and_maybe_complete


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
        now = self.deps.clock()
        reference = uuid.uuid4().hex[:20]
        prepared = prepare_contract(contract_pdf, title, reference, signers, now, opened_by)
        mail: list[notify.MailMessage] = []
        with transaction(self.deps.factory) as s:
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
        self._send_all(mail)
        return reference

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
        key = f"{action}:{signer.id}:{now.isoformat()}"
        return notify.invitation(
            signer.email,
            signer.full_name,
            signing.title,
            signing_url(self.deps.public_base_url, token),
            key,
            reminder,
        )

    def _send_all(self, messages: list[notify.MailMessage]) -> None:
        """After the commit only: a mail outage never undoes a recorded step."""
        for message in messages:
            self.deps.mailer.send(message)

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
                f"Liasse : votre code de signature pour « {signing.title} » est {issued.code}. "
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
        self._send_all(mail)
        assert not isinstance(result, otp.CheckResult)
        if result.outcome is not None and self.deps.on_outcome:
            self.deps.on_outcome(result.outcome)
        return result

    def decline(self, token: str, reason: str, request: RequestContext) -> None:
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
        self._send_all(mail)
        if self.deps.on_outcome:
            self.deps.on_outcome(outcome)

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
        mail: list[notify.MailMessage] = []
        with transaction(self.deps.factory) as s:
            for signing, signer in due_for_reminder(
                s, self.deps.clock(), self.deps.reminder_interval
            ):
                mail.append(self._invite(s, signing, signer, request, reminder=True))
        self._send_all(mail)
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
