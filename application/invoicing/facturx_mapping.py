"""Translation between the invoicing domain and the documents package (Factur-X, PDF).

`dossiers` never imports `documents` (the arrows point one way), so this application module
maps both ways:

- `seller_from_profile`: the company profile -> the domain's `SellerSnapshot`, frozen into each
  invoice at issue (with the BR-FR-05 mentions in both languages);
- `to_facturx`: an issued `Invoice` -> the generator's `FacturXInvoice` (amounts copied, never
  recomputed);
- `render`: the Factur-X PDF/A-3 of an issued invoice, drawn from the *frozen* seller: the page
  shows the seller the embedded XML names even if the company profile changed since. Only the
  posting pipeline renders an issued invoice, once; later reads return the archived bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from documents.facturx.issue import FacturXDocument, build_facturx
from documents.facturx.mentions import legal_notes
from documents.facturx.model import (
    DocumentAllowanceCharge,
    FacturXInvoice,
    InvoiceLine,
    Note,
    Party,
    PaymentMeans,
    PaymentMeansCode,
    PostalAddress,
    PrecedingInvoice,
    Totals,
    VatBreakdown,
    VatCategory,
)
from documents.profile import CompanyProfile, ProfileAddress
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice
from dossiers.invoicing.models import InvoiceLine as DomainLine
from dossiers.invoicing.parties import BuyerSnapshot, SellerSnapshot


def seller_from_profile(profile: CompanyProfile) -> SellerSnapshot:
    address = profile.address
    return SellerSnapshot(
        name=profile.name, siren=profile.siren, siret=profile.siret,
        address_lines=tuple(x for x in (address.street, address.extra) if x),
        postcode=address.postcode, city=address.city, country=address.country,
        vat_number=profile.vat_number, legal_form=profile.legal_form,
        legal_mention=profile.legal_mention, email=profile.email, phone=profile.phone,
        iban=profile.iban, bic=profile.bic, sepa_creditor_id=profile.sepa_creditor_id,
        legal_notes={
            lang: tuple({"code": n.subject_code or "", "text": n.text}
                        for n in legal_notes(profile, lang))
            for lang in ("fr", "en")
        },
    )


def _address(lines: list[str], postcode: str | None, city: str | None,
             country: str) -> PostalAddress:
    padded = [*lines, None, None, None]
    return PostalAddress(line1=padded[0] or "", postcode=postcode or "", city=city or "",
                         country=country, line2=padded[1], line3=padded[2])


def _seller(data: dict[str, Any], with_vat: bool) -> Party:
    return Party(
        name=data["name"],
        address=_address(data["address_lines"], data["postcode"], data["city"], data["country"]),
        siren=data["siren"], siret=data["siret"],
        vat_id=data["vat_number"] if with_vat else None,
        legal_form=data.get("legal_mention") or data.get("legal_form"),
        electronic_address=data.get("email"), contact_email=data.get("email"),
        contact_phone=data.get("phone"),
    )


def _buyer(data: dict[str, Any], with_vat: bool) -> Party:
    buyer = BuyerSnapshot.from_dict(data)
    return Party(
        name=buyer.name,
        address=_address(list(buyer.address_lines), buyer.postcode, buyer.city, buyer.country),
        siren=buyer.siren, siret=buyer.siret, vat_id=buyer.vat_number if with_vat else None,
        electronic_address=buyer.email, contact_email=buyer.email,
        contact_name=buyer.contact_name,
    )


def _line(line: DomainLine, language: str) -> InvoiceLine:
    # The domain's line discount (BT-136/BT-138) is expressed as a per-unit price discount
    # (BT-147/BT-148): the generator has no line allowance group yet.
    unit_discount = None
    if line.discount_pct:
        unit_discount = (line.unit_price * line.discount_pct / 100).quantize(Decimal("0.000001"))
    note = None
    if line.beneficiary_name:
        note = tr(f"Bénéficiaire : {line.beneficiary_name}",
                  f"Beneficiary: {line.beneficiary_name}", language)
    return InvoiceLine(
        line_id=str(line.position), name=line.description, quantity=line.quantity,
        unit_code=line.unit_code,
        net_price=(line.unit_price - unit_discount) if unit_discount else line.unit_price,
        net_amount=line.net_amount, vat_category=VatCategory(line.vat_category),
        vat_rate=line.vat_rate, note=note,
        gross_price=line.unit_price if unit_discount else None, price_discount=unit_discount,
        beneficiary_name=line.beneficiary_name,
    )


def _payment_means(invoice: Invoice) -> tuple[PaymentMeans, ...]:
    if not invoice.payment_means_code or invoice.kind.value == "credit_note":
        return ()
    code = invoice.payment_means_code
    if code == "54":  # purchase card: the generator knows 48 (bank card) only
        code = "48"
    return (PaymentMeans(
        PaymentMeansCode(code), iban=invoice.payee_iban, bic=invoice.payee_bic,
        account_name=invoice.seller["name"] if invoice.payee_iban else None,
        remittance_info=invoice.number, mandate_reference=invoice.mandate_reference,
        creditor_id=invoice.creditor_id, debited_iban=invoice.debtor_iban,
        card_last_digits=invoice.card_last_digits,
    ),)


def to_facturx(invoice: Invoice) -> FacturXInvoice:
    """The generator's input for an issued invoice or credit note (amounts copied, not redone)."""
    if invoice.number is None:
        raise ValidationError("Une facture brouillon n'a pas de Factur-X.",
                              "A draft invoice has no Factur-X.")
    categories = {ln.vat_category for ln in invoice.lines}
    with_vat = "O" not in categories  # BR-O-02: no VAT identifiers on "not subject" invoices
    buyer = _buyer(invoice.buyer, with_vat)
    intra_eu = "K" in categories  # BR-IC-12: the deliver-to country is required
    return FacturXInvoice(
        number=invoice.number, type_code=invoice.type_code, issue_date=invoice.issue_date,
        seller=_seller(invoice.seller, with_vat), buyer=buyer,
        lines=tuple(_line(ln, invoice.language) for ln in invoice.lines),
        vat_breakdown=tuple(
            VatBreakdown(VatCategory(r["category"]), Decimal(r["rate"]),
                         Decimal(r["taxable_amount"]), Decimal(r["tax_amount"]),
                         r["exemption_reason"], r["exemption_code"])
            for r in invoice.vat_breakdown
        ),
        totals=Totals(
            line_total=invoice.line_total, tax_basis_total=invoice.tax_basis_total,
            tax_total=invoice.tax_total, grand_total=invoice.grand_total,
            due_payable=invoice.due_payable_amount, allowance_total=invoice.allowance_total,
            charge_total=invoice.charge_total, prepaid=invoice.prepaid_amount,
            rounding=invoice.rounding_amount or None,
        ),
        currency=invoice.currency, due_date=invoice.due_date,
        delivery_date=invoice.delivery_date, period_start=invoice.period_start,
        period_end=invoice.period_end, buyer_reference=invoice.service_code,
        purchase_order=invoice.po_number,
        preceding_invoices=((PrecedingInvoice(invoice.referenced_number,
                                              invoice.referenced_date),)
                            if invoice.referenced_number and invoice.referenced_date else ()),
        notes=tuple(Note(n["text"], n["code"] or None) for n in invoice.notes),
        allowances_charges=tuple(
            DocumentAllowanceCharge(a.amount, VatCategory(a.vat_category), a.vat_rate, a.reason,
                                    charge=a.is_charge, reason_code=a.reason_code)
            for a in invoice.adjustments
        ),
        payment_means=_payment_means(invoice), payment_terms=invoice.payment_terms,
        business_process=invoice.business_process, language=invoice.language,
        deliver_to_name=buyer.name if intra_eu else None,
        deliver_to_address=buyer.address if intra_eu else None,
    )


def frozen_profile(profile: CompanyProfile, seller: dict[str, Any]) -> CompanyProfile:
    """The profile to draw an issued invoice with: its identity taken from the seller snapshot
    frozen at issue (name, identifiers, address, contacts, bank), the rest (logo, printed
    terms) from today's profile. Page and XML then always name the same seller."""
    lines = list(seller.get("address_lines") or [])
    return profile.model_copy(update={
        "name": seller["name"], "siren": seller["siren"], "siret": seller["siret"],
        "vat_number": seller.get("vat_number") or profile.vat_number,
        "legal_form": seller.get("legal_form") or profile.legal_form,
        "email": seller.get("email") or profile.email, "phone": seller.get("phone"),
        "iban": seller.get("iban") or profile.iban, "bic": seller.get("bic") or profile.bic,
        "sepa_creditor_id": seller.get("sepa_creditor_id"),
        "address": ProfileAddress(street=lines[0] if lines else "",
                                  extra=lines[1] if len(lines) > 1 else None,
                                  postcode=seller.get("postcode") or "",
                                  city=seller.get("city") or "",
                                  country=seller.get("country") or "FR"),
    })


def render(invoice: Invoice, profile: CompanyProfile) -> FacturXDocument:
    """The Factur-X PDF/A-3 of an issued invoice, drawn from its frozen seller (validated again
    by the documents package)."""
    return build_facturx(to_facturx(invoice), frozen_profile(profile, invoice.seller))
