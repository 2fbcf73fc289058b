"""`liasse retimestamp FILE.pdf`: renew the archive timestamp chain of a signed PDF (B-LTA).

The newest timestamp of a document is judged against a TSA certificate that must still be valid
on the day of verification; a job runs this before that certificate ages out (a TSA certificate
lasts a few years, a contract is kept ten). It adds the current revocation data of the timestamps
nothing protects yet and a new document timestamp over the whole file, as an incremental update:
the signatures stay byte for byte. The input is never overwritten (archives are write-once): the
result goes to `--output`, by default `<name>-horodate.pdf` next to it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from dossiers.i18n import tr
from liasse.cli.environment import console, services
from liasse.cli.verify import read_pdf
from signing.pades.archive_timestamp import extend_archive_timestamp
from signing.pades.profile import PadesLevel
from signing.validation.errors import VerificationError


def retimestamp_command(
    file: Path = typer.Argument(..., help="Signed PDF to re-timestamp."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write the result (default: <name>-horodate.pdf)."
    ),
) -> None:
    """Add fresh revocation data and a new document timestamp to a signed PDF (B-LTA)."""
    data = read_pdf(file)
    target = output or file.with_name(f"{file.stem}-horodate.pdf")
    if target.resolve() == file.resolve():
        raise VerificationError(
            "Le fichier d'origine n'est jamais réécrit : choisissez un autre --output.",
            "The original file is never rewritten: choose another --output.",
        )
    extended = extend_archive_timestamp(data, services().pki.profile(PadesLevel.B_LTA))
    _write_atomically(target, extended)
    console.print(
        tr(
            f"Document ré-horodaté : {target} (nouvel horodatage de document sur tout le fichier).",
            f"Document re-timestamped: {target} (new document timestamp over the whole file).",
        ),
        highlight=False,
    )


def _write_atomically(target: Path, data: bytes) -> None:
    """Never leave half a PDF behind if the disk fills up or the process is killed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def register(root: typer.Typer) -> None:
    root.command("retimestamp")(retimestamp_command)
