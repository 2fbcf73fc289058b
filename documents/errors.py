"""Errors raised by document rendering and Factur-X checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dossiers.errors import ValidationError

if TYPE_CHECKING:
    from documents.facturx.validation import FacturXReport


class DocumentError(ValidationError):
    """A document cannot be produced from the given input (missing field, overflow...)."""


#: What a failed rule means for the user, keyed by a part of its id ("BR-FR-12_BT-49" is
#: found by "BR-FR-12" or "BT-49"). The schematron's own text (`BT-49=""`) names a business term,
#: not the field to fill in, so the usual causes are said in plain words before the rule list.
RULE_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "BT-49": (
        "le client n'a pas d'adresse e-mail, obligatoire sur une facture électronique",
        "the customer has no e-mail address, required on an electronic invoice",
    ),
}
RULE_EXPLANATIONS["BR-FR-12"] = RULE_EXPLANATIONS["BT-49"]  # BR-FR-12: BT-49 is mandatory


def explanations(rule_ids: list[str]) -> list[tuple[str, str]]:
    """The (French, English) explanations of these failed rules, each once, in rule order."""
    found: dict[tuple[str, str], None] = {}
    for rule_id in rule_ids:
        for part in rule_id.split("_"):
            if part in RULE_EXPLANATIONS:
                found[RULE_EXPLANATIONS[part]] = None
    return list(found)


class FacturXRejected(ValidationError):
    """The Factur-X XML fails XSD or a schematron: the invoice must not leave."""

    def __init__(self, report: FacturXReport) -> None:
        self.report = report
        listed = "; ".join(str(v) for v in report.failures[:10])
        more = len(report.failures) - 10
        if more > 0:
            listed += f" (+{more})"
        known = explanations([v.rule_id for v in report.failures])
        why_fr = "".join(f"{fr} ; " for fr, _ in known)
        why_en = "".join(f"{en}; " for _, en in known)
        super().__init__(
            f"Facture Factur-X refusée : {why_fr}{len(report.failures)} règle(s) en échec : "
            f"{listed}",
            f"Factur-X invoice rejected: {why_en}{len(report.failures)} failed rule(s): {listed}",
        )
