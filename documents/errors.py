"""Errors raised by document rendering and Factur-X checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dossiers.errors import ValidationError

if TYPE_CHECKING:
    from documents.facturx.validation import FacturXReport


class DocumentError(ValidationError):
    """A document cannot be produced from the given input (missing field, overflow...)."""


class FacturXRejected(ValidationError):
    """The Factur-X XML fails XSD or a schematron: the invoice must not leave."""

    def __init__(self, report: FacturXReport) -> None:
        self.report = report
        listed = "; ".join(str(v) for v in report.failures[:10])
        more = len(report.failures) - 10
        if more > 0:
            listed += f" (+{more})"
        super().__init__(
            f"Facture Factur-X refusée ({len(report.failures)} règle(s) en échec) : {listed}",
            f"Factur-X invoice rejected ({len(report.failures)} failed rule(s)): {listed}",
        )
