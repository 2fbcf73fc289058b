"""`liasse vat check`: check an intra-EU VAT number with VIES.

VIES down is not a block: the command says "could not verify" and exits 0; an invalid number
exits non-zero with the reason. `LIASSE_VIES_URL` points at another service address (the
bundled fake: `python -m connectors.vies.fake`).
"""

from __future__ import annotations

import typer

from connectors.vies import VatChecker, VatStatus
from dossiers.errors import ExitCode, ValidationError
from dossiers.i18n import tr
from liasse.cli.environment import console, err_console

NAME = "vat"
app = typer.Typer(
    help="Numéros de TVA intracommunautaire (VIES). / EU VAT numbers (VIES).", no_args_is_help=True
)


@app.callback()
def _group() -> None:
    """Keep `check` a subcommand (typer folds a lone command into its group)."""


@app.command("check")
def check(
    number: str = typer.Argument(
        ..., help="VAT number with its country prefix, e.g. FR40303265045"
    ),
    country: str | None = typer.Option(None, help="Country code, if not in the number."),
) -> None:
    """Ask VIES whether a VAT number is valid, and whom it belongs to."""
    compact = number.replace(" ", "").upper()
    country_code = (country or compact[:2]).upper()
    if not country_code.isalpha():
        raise ValidationError(
            f"Pays absent : préfixer le numéro {number} (FR, DE...) ou passer --country.",
            f"Country missing: prefix {number} with it (FR, DE...) or pass --country.",
        )
    result = VatChecker().check_vat(country_code, compact)  # stateless: no database needed
    label = f"{result.country}{result.number}"
    if result.status == VatStatus.INVALID:
        raise ValidationError(
            f"Numéro de TVA {label} invalide : {result.reason}",
            f"VAT number {label} is invalid: {result.reason}",
        )
    if result.status == VatStatus.UNVERIFIED:
        err_console.print(
            tr(
                f"[yellow]{label} non vérifié[/] : {result.reason}",
                f"[yellow]{label} not verified[/]: {result.reason}",
            ),
            highlight=False,
        )
        raise typer.Exit(ExitCode.OUTAGE)  # not checked: a script must not take it as valid
    console.print(tr(f"[green]{label} valide[/]", f"[green]{label} valid[/]"), highlight=False)
    if result.name:
        console.print(result.name, highlight=False)
    if result.address:
        console.print(result.address, highlight=False)
