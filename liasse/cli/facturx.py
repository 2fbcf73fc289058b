"""`liasse facturx check FILE.pdf`: run the Factur-X checks on any PDF (aliased as invoices check).

Prints each failed rule (id and message) and the warnings; exits 0 when the file passes the PDF
container checks, the XSD, the EN 16931 and the French BR-FR schematrons, 10 (`ExitCode.REFUSED`,
a business refusal) otherwise; an unreadable file is refused the same way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import typer

from documents.errors import DocumentError
from documents.facturx.check import check_facturx
from documents.facturx.validation import FacturXReport
from dossiers.errors import ExitCode
from dossiers.i18n import tr
from liasse.cli.environment import console, err_console

NAME = "facturx"
app = typer.Typer(
    help="Factur-X: check an invoice PDF (XSD, EN 16931, BR-FR).", no_args_is_help=True
)


def print_report(path: Path, report: FacturXReport, show_warnings: bool = True) -> None:
    checks = ", ".join(report.checks_run)
    if report.ok:
        console.print(
            f"[green]OK[/] {path} — {tr('contrôles', 'checks')} : {checks}", highlight=False
        )
    else:
        console.print(
            f"[bold red]{tr('REFUSÉ', 'REJECTED')}[/] {path} — "
            f"{len(report.failures)} {tr('règle(s) en échec', 'failed rule(s)')} ({checks})",
            highlight=False,
        )
        for violation in report.failures:
            console.print(f"  ✗ [{violation.check}] {violation.rule_id}: {violation.message}",
                          highlight=False, markup=False)
    if show_warnings:
        for violation in report.warnings:
            console.print(f"  ! [{violation.check}] {violation.rule_id}: {violation.message}",
                          highlight=False, markup=False)


def report_as_dict(path: Path, report: FacturXReport) -> dict[str, object]:
    return {
        "file": str(path),
        "ok": report.ok,
        "checks": report.checks_run,
        "failures": [asdict(v) for v in report.failures],
        "warnings": [asdict(v) for v in report.warnings],
    }


@app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="Factur-X PDF files to check."),
    warnings: bool = typer.Option(True, "--warnings/--no-warnings", help="Show warnings."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file."),
) -> None:
    """Check Factur-X PDFs; exit code 10 if any file is refused."""
    # pypdf logs its parsing complaints ("EOF marker not found") on stderr; the report says
    # the same thing as a failed rule.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    failed = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(
                f"Fichier illisible : {path} ({exc.strerror})",
                f"Unreadable file: {path} ({exc.strerror})",
            ) from exc
        report = check_facturx(data)
        if as_json:
            console.print_json(json.dumps(report_as_dict(path, report)))
        else:
            print_report(path, report, warnings)
        failed += not report.ok
    if failed and not as_json:  # the JSON says "ok": false; stdout stays one JSON stream
        err_console.print(tr(f"Erreur : {failed} fichier(s) refusé(s) sur {len(files)}.",
                             f"Error : {failed} of {len(files)} file(s) rejected."),
                          highlight=False)
    if failed:
        raise typer.Exit(code=ExitCode.REFUSED)


@app.command("samples")
def samples(
    folder: Path = typer.Argument(..., help="Folder to write the sample Factur-X PDFs into."),
) -> None:
    """Write one validated Factur-X PDF per VAT situation (demo and manual checks)."""
    from documents.facturx.issue import build_facturx_pdf
    from documents.facturx.samples import SAMPLES, sample_invoice
    from documents.profile import current_profile

    folder.mkdir(parents=True, exist_ok=True)
    profile = current_profile()
    for kind in SAMPLES:
        invoice = sample_invoice(kind)
        target = folder / f"{invoice.number}-{kind}.pdf"
        target.write_bytes(build_facturx_pdf(invoice, profile))
        console.print(f"{target}", highlight=False)
