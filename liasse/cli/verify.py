"""`liasse verify FILE.pdf`: list every signature and say whether the file is intact and trusted.

Exit code 0 only if the file has at least one signature and every signature is intact, valid,
chained to a trusted root (the Liasse demo root if present, plus `LIASSE_TRUST_ROOTS`) and, when
timestamped, has a valid timestamp. Each block says at which moment the certificate was judged
and why that moment (the time its timestamp proves, or now for an untimestamped signature): a
one-time certificate expired an hour after signing, so "valid" only means something with it.
pyHanko's own log lines are not printed: the verdict states the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from dossiers.i18n import tr
from liasse.cli.environment import console
from signing.pki.signing_pki import verification_roots
from signing.settings import SigningSettings
from signing.validation.errors import SignaturesInvalid, VerificationError
from signing.validation.report import VerificationReport
from signing.validation.verify import verify_pdf


def read_pdf(file: Path) -> bytes:
    """The bytes of a PDF to verify or re-timestamp, or a clear error naming the file."""
    try:
        return file.read_bytes()
    except OSError as exc:
        raise VerificationError(
            f"Lecture impossible de {file} : {exc.strerror}.",
            f"Cannot read {file}: {exc.strerror}.",
        ) from exc


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "—"
    return tr("oui", "yes") if value else tr("NON", "NO")


def print_report(report: VerificationReport) -> None:
    """One block per signature: readable in an 80-column terminal and in CI logs."""
    total = len(report.signatures)
    if report.checked_at is not None:
        console.print(
            tr(
                f"Vérification au {_when(report.checked_at)}",
                f"Verification as of {_when(report.checked_at)}",
            ),
            highlight=False,
        )
    for number, sig in enumerate(report.signatures, start=1):
        verdict = (
            f"[green]{tr('valide', 'valid')}[/]"
            if sig.ok
            else f"[red]{tr('INVALIDE', 'INVALID')}[/] ({'; '.join(sig.problems)})"
        )
        console.print(
            f"[bold]{number}/{total} {sig.kind_label()}[/] ({sig.field_name}) — {verdict}"
        )
        ts_verdict = tr("valide", "valid") if sig.timestamp_valid else tr("INVALIDE", "INVALID")
        timestamp = f"{_when(sig.timestamp)} ({ts_verdict})" if sig.timestamp else "—"
        if sig.timestamp and sig.timestamp_validated_at and sig.kind != "document-timestamp":
            timestamp += tr(
                f", vérifié au {_when(sig.timestamp_validated_at)} "
                f"({sig.basis_label(sig.timestamp_time_basis)})",
                f", checked as of {_when(sig.timestamp_validated_at)} "
                f"({sig.basis_label(sig.timestamp_time_basis)})",
            )
        rows = [
            (tr("Signataire", "Signer"), sig.signer),
            (tr("Signé le", "Signing time"), _when(sig.signing_time)),
            (tr("Horodatage", "Timestamp"), timestamp),
            (
                tr("Validée au", "Validated as of"),
                f"{_when(sig.validated_at)} ({sig.basis_label()})",
            ),
            (tr("Intégrité", "Integrity"), _yes_no(sig.intact and sig.valid)),
            (tr("Chaîne de confiance", "Chain to trusted root"), _yes_no(sig.trusted)),
            (tr("Révocation embarquée", "Revocation info present"), _yes_no(sig.revocation_info)),
            (tr("Couverture", "Coverage"), sig.coverage_label()),
        ]
        for label, value in rows:
            console.print(f"  {label} : {value}", highlight=False)
    if report.evidence_page:
        console.print(
            tr(
                f"Page de preuve : présente (page {report.evidence_page}).",
                f"Evidence page: present (page {report.evidence_page}).",
            )
        )
    else:
        console.print(tr("Page de preuve : absente.", "Evidence page: absent."))
    for problem in report.problems:
        console.print(f"[red]{problem}[/]")


def _moment(text: str | None) -> datetime | None:
    """`--at` as an aware datetime (ISO 8601; UTC when no zone is given)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise VerificationError(
            f"Date invalide pour --at : {text!r} (attendu : ISO 8601, ex. 2036-01-31T12:00).",
            f"Invalid date for --at: {text!r} (expected ISO 8601, e.g. 2036-01-31T12:00).",
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify_command(
    file: Path = typer.Argument(..., help="PDF file to verify."),
    fetch: bool = typer.Option(False, "--fetch", help="Fetch missing CRL/OCSP over the network."),
    at: str | None = typer.Option(
        None, "--at", help="Judge as of this moment instead of now (ISO 8601; audits, tests)."
    ),
) -> None:
    """Verify every PAdES signature, seal and document timestamp of a PDF."""
    data = read_pdf(file)
    if fetch and at:
        raise VerificationError(
            "--fetch et --at s'excluent : les données de révocation récupérées sont celles "
            "d'aujourd'hui.",
            "--fetch and --at exclude each other: fetched revocation data is today's.",
        )
    report = verify_pdf(
        data, verification_roots(SigningSettings()), allow_fetching=fetch, now=_moment(at)
    )
    print_report(report)
    if not report.ok:
        raise SignaturesInvalid(
            f"{file.name} : au moins une signature est invalide ou non reconnue.",
            f"{file.name}: at least one signature is invalid or untrusted.",
        )
    console.print(tr("Toutes les signatures sont valides.", "All signatures are valid."))


def register(root: typer.Typer) -> None:
    root.command("verify")(verify_command)
