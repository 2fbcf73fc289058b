"""Issuing an invoice through its gates, inside the caller's transaction.

Every issued invoice and credit note passes two gates *before commit*, so a refusal takes no
number (the transaction rolls back):

- the VIES gate (`application.vies_checks.clear_invoice`): reverse charge (AE) or an intra-EU
  supply (K) to a buyer VIES calls invalid raises `ViesRefusal`;
- the Factur-X gate: the CII XML is validated (XSD + EN 16931 + BR-FR) and a failure raises
  `FacturXRejected` with the rule ids.

`issue_with_vies` / `refresh_*` re-check the buyer with VIES first, outside the transaction
(no transaction is held open while VIES answers). The posting pipeline
(`application.invoicing.posting`) is the one caller outside tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, object_session, sessionmaker

from application.invoicing.facturx_mapping import seller_from_profile, to_facturx
from application.vies_checks import ViesClearance, ViesPolicy, clear_invoice, refresh_for_input
from connectors.vies import VatChecker
from documents.errors import FacturXRejected
from documents.facturx.cii import cii_xml_bytes
from documents.facturx.validation import FacturXReport, validate_cii
from documents.profile import CompanyProfile
from dossiers.db import transaction
from dossiers.invoicing.credit import CreditInput, credit_invoice, reissue
from dossiers.invoicing.inputs import InvoiceInput
from dossiers.invoicing.models import Invoice
from dossiers.invoicing.service import issue_invoice


@dataclass(frozen=True)
class Checked:
    invoice: Invoice
    report: FacturXReport
    vies: ViesClearance | None = None  # set when the invoice rests on an EU buyer's VAT number


def _checked(invoice: Invoice, vies: ViesPolicy | None) -> Checked:
    """The pre-commit gates: VIES first (cheap, database-only), then the CII XML."""
    session = object_session(invoice)
    clearance = clear_invoice(session, invoice, vies) if session is not None else None
    report = validate_cii(cii_xml_bytes(to_facturx(invoice)))
    if not report.ok:
        raise FacturXRejected(report)
    return Checked(invoice, report, clearance)


def check_before_commit(invoice: Invoice, *, vies: ViesPolicy | None = None) -> FacturXReport:
    """Run the VIES gate and validate the invoice's CII XML; raise `ViesRefusal` or
    `FacturXRejected` (the transaction rolls back: no number taken)."""
    return _checked(invoice, vies).report


def issue_checked(session: Session, data: InvoiceInput | Mapping[str, Any],
                  profile: CompanyProfile, *, actor: str = "system",
                  today: date | None = None, vies: ViesPolicy | None = None) -> Checked:
    invoice = issue_invoice(session, data, seller_from_profile(profile), actor=actor,
                            today=today)
    return _checked(invoice, vies)


def issue_with_vies(factory: sessionmaker[Session], data: InvoiceInput | Mapping[str, Any],
                    profile: CompanyProfile, *, checker: VatChecker | None,
                    vies: ViesPolicy | None = None, actor: str = "system",
                    today: date | None = None) -> Checked:
    """Re-check the buyer with VIES if its check is missing/stale/failed (no transaction open
    while VIES answers), then issue in one transaction. Without a checker: the gate alone."""
    if checker is not None:
        refresh_for_input(factory, data, checker, policy=vies, actor=actor)
    with transaction(factory) as session:
        return issue_checked(session, data, profile, actor=actor, today=today, vies=vies)


def credit_checked(session: Session, data: CreditInput | Mapping[str, Any], *,
                   actor: str = "system", today: date | None = None) -> Checked:
    note = credit_invoice(session, data, actor=actor, today=today)
    return _checked(note, None)


def reissue_checked(session: Session, credit: CreditInput | Mapping[str, Any],
                    replacement: InvoiceInput | Mapping[str, Any], profile: CompanyProfile, *,
                    actor: str = "system", today: date | None = None,
                    vies: ViesPolicy | None = None) -> tuple[Checked, Checked]:
    note, invoice = reissue(session, credit, replacement, seller_from_profile(profile),
                            actor=actor, today=today)
    return _checked(note, None), _checked(invoice, vies)
