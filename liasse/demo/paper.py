"""The documents the demo's customers bring, generated on the fly by the `documents` package:
the order form and a supporting document (the contract is the product's: `flows.actions`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from documents.commercial import OrderForm, OrderLine, render_order_form
from documents.profile import CompanyProfile
from documents.rendering import html_to_pdf
from dossiers.customers.models import Customer
from flows.actions.contract import recipient_of

ORDER_LINES = (
    OrderLine("Abonnement annuel « Revue Liasse » (papier + numérique)", Decimal(1),
              Decimal("89.00"), Decimal("2.1")),
    OrderLine("Guide pratique de la facturation électronique", Decimal(2), Decimal("32.00"),
              Decimal("5.5")),
)


def order_form(customer: Customer, number: str, profile: CompanyProfile) -> bytes:
    return render_order_form(OrderForm(
        number=number, issued_on=date.today(), customer=recipient_of(customer),
        lines=ORDER_LINES, customer_number=customer.number,
        conditions="Commande ferme, payable à réception de facture.",
    ), profile)


def supporting_document(customer: Customer, title: str) -> bytes:
    """A small one-page PDF standing in for a scanned proof (certificate, K-bis...)."""
    html = (
        "<html><body style='font-family: sans-serif'>"
        f"<h1>{title}</h1><p>Client {customer.number} — {customer.display_name}</p>"
        f"<p>{customer.address_street or ''}, {customer.postcode or ''} {customer.city or ''}</p>"
        f"<p>Établi le {date.today():%d/%m/%Y}.</p></body></html>"
    )
    return html_to_pdf(html)
