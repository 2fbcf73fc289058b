"""The documents a customer file carries, generated on the fly by the `documents` package:
the order form, a supporting document, the contract with its signature boxes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from documents.commercial import OrderForm, OrderLine, render_order_form
from documents.contracts import Clause, Contract, RenderedContract, Signer, render_contract
from documents.postal_address import PostalRecipient
from documents.profile import CompanyProfile
from documents.rendering import html_to_pdf
from dossiers.customers.models import Customer

ORDER_LINES = (
    OrderLine("Abonnement annuel « Revue Liasse » (papier + numérique)", Decimal(1),
              Decimal("89.00"), Decimal("2.1")),
    OrderLine("Guide pratique de la facturation électronique", Decimal(2), Decimal("32.00"),
              Decimal("5.5")),
)

CLAUSES = (
    Clause("Objet", "Le présent contrat porte sur l'abonnement annuel à la « Revue Liasse » et "
           "sur la fourniture des ouvrages listés au bon de commande."),
    Clause("Durée", "Douze mois à compter de la signature, renouvelable sur avis de "
           "renouvellement."),
    Clause("Prix et paiement", "Prix du bon de commande, payables à réception de la facture, "
           "par virement."),
    Clause("Signature électronique", "Les parties signent électroniquement au moyen d'un code "
           "reçu par SMS ; le contrat est ensuite revêtu du cachet de l'éditeur."),
)


def recipient_of(customer: Customer) -> PostalRecipient:
    person = " ".join(p for p in (customer.first_name, customer.last_name) if p) or None
    return PostalRecipient(
        company=customer.company_name, title=customer.title, name=person,
        name_extra=customer.address_name_extra, street=customer.address_street,
        extra=customer.address_extra, postcode=customer.postcode or "",
        city=customer.city or "", country=customer.country or "FR",
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


def contract(customer: Customer, number: str, manager_name: str, manager_email: str,
             profile: CompanyProfile) -> RenderedContract:
    signers = (
        Signer(customer.display_name, "Le client", customer.email, customer.number),
        Signer(manager_name, f"Pour {profile.name}, le responsable commercial", manager_email),
    )
    return render_contract(Contract(
        number=number, title="Contrat d'abonnement", issued_on=date.today(),
        customer=recipient_of(customer), clauses=CLAUSES, signers=signers,
    ), profile)
