"""`liasse sign ...`: seal PDFs and drive signing sessions from the command line.

Until the portal's pages exist, a session is driven here with the same service the portal will
use: open, view, send-code, enter-code, decline, status, export, resend, remind, expire; `outbox`
shows the SMS texted by the embedded fake Twilio (the demo reads the codes there). With the fake
(`LIASSE_SMS_BACKEND=fake`, the default) `send-code` says the SMS is simulated: no real SMS
leaves. A mail outage at `open` still prints the session's reference, says which invitations
wait, and `resend` (or the periodic `remind`) sends them; the same `open` again returns the same
session instead of a duplicate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from application.signing_sessions import signing_service, sms_is_simulated
from dossiers.errors import ExitCode, LiasseError
from dossiers.i18n import tr
from liasse.cli.environment import console, services
from signing.event_context import CLI_CONTEXT
from signing.pades.seal import seal_pdf
from signing.sessions.errors import InvalidSessionInput
from signing.sessions.models import Ordering
from signing.sessions.prepare import SignerSpec
from signing.sessions.service import MailDelivery
from signing.settings import SigningSettings


def _service():  # type: ignore[no-untyped-def]
    """The signing service; when a Prefect API is configured, a finished or declined session
    wakes the file's suspended run at once (otherwise the hourly sweep or `liasse flow wake`)."""
    on_outcome = None
    if os.environ.get("PREFECT_API_URL"):
        from flows.db_file_engine import on_signing_outcome

        on_outcome = on_signing_outcome
    return signing_service(services(), on_outcome=on_outcome)

NAME = "sign"
app = typer.Typer(
    help="Signature électronique : cachet, sessions de signature par code SMS.",
    no_args_is_help=True,
)

SIGNER_HELP = "Signataire « Nom;e-mail;téléphone;rôle », dans l'ordre de signature (répétable)."


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidSessionInput(
            f"Lecture impossible de {path} : {exc.strerror}.",
            f"Cannot read {path}: {exc.strerror}.",
        ) from exc


def _parse_signer(raw: str) -> SignerSpec:
    parts = [p.strip() for p in raw.split(";")]
    if len(parts) != 4:
        raise InvalidSessionInput(
            f"Signataire mal formé : « {raw} » (attendu Nom;e-mail;téléphone;rôle).",
            f'Malformed signer: "{raw}" (expected Name;e-mail;phone;role).',
        )
    return SignerSpec(*parts)


@app.command("seal")
def seal(source: Path, output: Path = typer.Option(None, "--out", "-o")) -> None:
    """Apply the company seal (PAdES, incremental update) to a PDF."""
    target = output or source.with_name(f"{source.stem}.scelle.pdf")
    target.write_bytes(seal_pdf(_read(source), services().seal))
    console.print(tr(f"Cachet apposé : {target}", f"Sealed: {target}"))


@app.command("open")
def open_session(
    contract: Path,
    title: str = typer.Option(..., "--title", help="Titre du document."),
    signer: list[str] = typer.Option(..., "--signer", help=SIGNER_HELP),
    parallel: bool = typer.Option(
        False, "--parallel", help="Tous signent dans n'importe quel ordre."
    ),
    customer_id: int = typer.Option(None, "--customer-id"),
) -> None:
    """Open a session: evidence page appended, invitations e-mailed (the same input again
    returns the session already open)."""
    specs = [_parse_signer(raw) for raw in signer]
    ordering = Ordering.PARALLEL if parallel else Ordering.SEQUENTIAL
    with _service() as service:
        opened = service.open_session(
            title,
            _read(contract),
            specs,
            ordering=ordering,
            customer_id=customer_id,
            opened_by="cli",
            request=CLI_CONTEXT,
        )
    reference = opened.reference
    if opened.created:
        console.print(
            tr(f"Session ouverte : {reference}", f"Session opened: {reference}"), highlight=False
        )
    else:
        console.print(
            tr(
                f"Session déjà ouverte pour ce contrat et ces signataires : {reference} "
                "(aucun doublon créé).",
                f"Session already open for this contract and these signers: {reference} "
                "(no duplicate created).",
            ),
            highlight=False,
        )
    _warn_unsent(opened.invitations, reference)


def _warn_unsent(delivery: MailDelivery, reference: str) -> None:
    """Say which invitations a mail outage held back, and how they will go out."""
    if not delivery.unsent:
        return
    who = ", ".join(delivery.unsent)
    why = str(delivery.error) if delivery.error else "?"
    console.print(
        tr(
            f"Invitations pas encore envoyées à {who} (courriel indisponible : {why}). Elles "
            f"seront renvoyées par `liasse sign remind` ; ou lancez `liasse sign resend "
            f"{reference}`.",
            f"Invitations not sent yet to {who} (mail unavailable: {why}). They will be "
            f"retried by `liasse sign remind`; or run `liasse sign resend {reference}`.",
        ),
        highlight=False,
        markup=False,
    )


@app.command("resend")
def resend(reference: str) -> None:
    """Send again the invitations a mail outage held back (one already delivered is not
    delivered twice)."""
    with _service() as service:
        delivery = service.resend_invitations(reference)
    if delivery.sent:
        who = ", ".join(delivery.sent)
        console.print(tr(f"Invitation envoyée à : {who}.", f"Invitation sent to: {who}."),
                      highlight=False)
    if delivery.unsent:
        if isinstance(delivery.error, LiasseError):
            raise delivery.error
        raise MailUnavailable(
            f"Invitations toujours pas envoyées ({delivery.error}).",
            f"Invitations still not sent ({delivery.error}).",
        )
    if not delivery.sent:
        console.print(tr("Aucune invitation en attente.", "No invitation waiting."))


class MailUnavailable(LiasseError):
    exit_code = ExitCode.OUTAGE


@app.command("status")
def status(reference: str) -> None:
    """Show a session and where each signer stands."""
    with _service() as service:
        signing = service.get(reference)
    console.print(f"{signing.title} — {signing.status.value} ({signing.ordering.value})")
    for s in signing.signers:
        console.print(
            f"  {s.position}. {s.full_name} <{s.email}> ({s.role}) : {s.state.value}",
            highlight=False,
        )


@app.command("view")
def view(
    reference: str,
    signer: int = typer.Option(..., "--signer"),
    output: Path = typer.Option(None, "--out", "-o"),
) -> None:
    """Open the document as signer N (recorded as viewed); optionally save it."""
    with _service() as service:
        shown = service.view(service.signer_token(reference, signer), CLI_CONTEXT)
    if output:
        output.write_bytes(shown.pdf)
    console.print(f"{shown.title} — SHA-256 {shown.sha256}", highlight=False)


@app.command("send-code")
def send_code(reference: str, signer: int = typer.Option(..., "--signer")) -> None:
    """Signer N clicked "Sign" after viewing the document: text them a one-time code."""
    with _service() as service:
        service.request_code(service.signer_token(reference, signer), CLI_CONTEXT)
    if sms_is_simulated():
        console.print(
            tr(
                "Code envoyé (SMS simulé : aucun SMS réel n'est parti — LIASSE_SMS_BACKEND=fake ; "
                "le code est dans `liasse sign outbox`).",
                "Code sent (simulated SMS: no real SMS left — LIASSE_SMS_BACKEND=fake; the code "
                "is in `liasse sign outbox`).",
            ),
            highlight=False,
        )
    else:
        console.print(tr("Code envoyé par SMS (Twilio).", "Code sent by SMS (Twilio)."))


@app.command("enter-code")
def enter_code(reference: str, code: str, signer: int = typer.Option(..., "--signer")) -> None:
    """Signer N types the code: their PAdES signature is added (then the seal if last)."""
    with _service() as service:
        done = service.sign(service.signer_token(reference, signer), code, CLI_CONTEXT)
    if done.completed:
        console.print(
            tr(
                "Signé par toutes les parties ; cachet apposé.",
                "Signed by every party; seal applied.",
            )
        )
    else:
        console.print(tr("Signature enregistrée.", "Signature recorded."))
    if done.unsent_mail and not done.completed:
        _warn_unsent(MailDelivery(unsent=done.unsent_mail), reference)
    elif done.unsent_mail:
        _warn_notice_unsent(done.unsent_mail)


def _warn_notice_unsent(recipients: tuple[str, ...]) -> None:
    who = ", ".join(recipients)
    console.print(
        tr(f"Avis non envoyé (courriel indisponible) à : {who}.",
           f"Notice not sent (mail unavailable) to: {who}."),
        highlight=False,
    )


@app.command("decline")
def decline(
    reference: str,
    signer: int = typer.Option(..., "--signer"),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Signer N declines, with a reason: the session closes."""
    with _service() as service:
        delivery = service.decline(service.signer_token(reference, signer), reason, CLI_CONTEXT)
    console.print(tr("Refus enregistré.", "Decline recorded."))
    if delivery.unsent:
        _warn_notice_unsent(delivery.unsent)


@app.command("export")
def export(
    reference: str,
    output: Path = typer.Option(..., "--out", "-o"),
    evidence: Path = typer.Option(None, "--evidence"),
) -> None:
    """Save the current (or final, sealed) contract and, once complete, the evidence certificate."""
    with _service() as service:
        signing = service.get(reference)
    output.write_bytes(signing.pdf)
    if evidence and signing.evidence_pdf:
        evidence.write_bytes(signing.evidence_pdf)
    console.print(tr(f"Écrit : {output}", f"Written: {output}"))


@app.command("remind")
def remind() -> None:
    """E-mail a reminder to every signer whose turn it is and who was not reminded recently."""
    with _service() as service:
        count = service.send_reminders(CLI_CONTEXT)
    console.print(tr(f"{count} rappel(s) envoyé(s).", f"{count} reminder(s) sent."))


@app.command("expire")
def expire() -> None:
    """Close every open session past its deadline."""
    with _service() as service:
        expired = service.expire_overdue(CLI_CONTEXT)
    console.print(
        tr(f"{len(expired)} session(s) expirée(s).", f"{len(expired)} session(s) expired.")
    )


@app.command("outbox")
def outbox(last: int = typer.Option(10, "--last")) -> None:
    """Show the SMS the embedded fake Twilio sent (simulated: none reached a phone; the demo
    reads the codes here)."""
    path = SigningSettings().sms_outbox_file
    messages = json.loads(path.read_text()) if path.is_file() else []
    for message in messages[-last:]:
        console.print(
            f"{message['date_created']}  {message['to']}  {message['body']}", highlight=False
        )
    if not messages:
        console.print(tr("Aucun SMS envoyé.", "No SMS sent."))
