"""Chapters 2 and 3: the people — staff with their roles, and customers of every type.

Staff: an admin, two sales reps in a team led by a group lead, one validator for each role the
default circuit names, a compliance officer and the sales manager who countersigns contracts.
Customers: a private person, a company with a contact, a third-party payer paying for two
beneficiaries, a prospect, a public buyer (Chorus Pro) and a German company (intra-EU VAT).
Everything goes through the domain services, so every record is checked and audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.panel import Panel

from application.settings import Settings
from documents.postal_address import PostalRecipient, format_address
from dossiers.circuits import load_circuit
from dossiers.customers.actions import add_action
from dossiers.customers.service import create_customer
from dossiers.errors import LiasseError
from dossiers.staff.service import create_staff_user, create_team
from liasse.demo.state import Demo
from liasse.demo.vat_check import check_with_vies

ACTOR = "demo:admin"
TEAM = "Équipe Rhône-Alpes"

# Validators for the circuit roles; any role a circuit names later gets a generic validator.
VALIDATOR_NAMES = {
    "order_desk": ("n.faure", "Nadia Faure"),
    "documents_checker": ("h.girard", "Hugo Girard"),
    "contract_manager": ("e.lambert", "Élise Lambert"),
    "billing": ("m.rousseau", "Mathieu Rousseau"),
    "disputes": ("l.mercier", "Lucie Mercier"),
}


def _user(login: str, name: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    return {"login": login, "full_name": name, "email": f"{login}@liasse.example",
            "roles": roles, **extra}


def circuit_roles() -> list[str]:
    """Roles deciding the human steps of the default and dispute circuits, in circuit order."""
    roles: list[str] = []
    for name in ("default", "dispute"):
        circuit = load_circuit(Settings().circuits_dir / f"{name}.yaml")
        roles += [s.role for s in circuit.steps if s.mode == "human"]
    return list(dict.fromkeys(roles))  # a role deciding several steps is listed once


def create_staff(demo: Demo) -> None:
    demo.chapter(2, "Le personnel et ses rôles", "Staff and their roles")
    leader = _user("c.durand", "Camille Durand", ["group_lead", "sales_rep"])
    with demo.tx() as s:
        create_staff_user(s, _user("a.martin", "Alice Martin", ["admin"]), actor="setup")
        create_staff_user(s, leader, actor=ACTOR)
        create_team(s, TEAM, lead_login="c.durand", actor=ACTOR)
        for login, name in (("s.bernard", "Sophie Bernard"), ("t.petit", "Thomas Petit")):
            create_staff_user(s, _user(login, name, ["sales_rep"], team=TEAM), actor=ACTOR)
        validators = []
        for role in circuit_roles():
            login, name = VALIDATOR_NAMES.get(role, (f"v.{role}", f"Validateur {role}"))
            create_staff_user(s, _user(login, name, [role]), actor=ACTOR)
            validators.append(f"{login} ({role})")
        create_staff_user(s, _user("j.blanc", "Julie Blanc", ["compliance"]), actor=ACTOR)
        create_staff_user(s, _user("m.leroy", "Marc Leroy", ["sales_manager"],
                                   mobile="+33798765432"), actor=ACTOR)
    demo.staff.update(admin="a.martin", lead="c.durand", rep="s.bernard", rep2="t.petit",
                      manager="m.leroy", compliance="j.blanc",
                      **{role: VALIDATOR_NAMES.get(role, (f"v.{role}",))[0]
                         for role in circuit_roles()})
    demo.ok("Administratrice : a.martin ; responsable commercial (signe les contrats) : m.leroy",
            "Admin: a.martin; sales manager (countersigns contracts): m.leroy")
    demo.ok(f"Équipe « {TEAM} » : c.durand (chef de groupe), s.bernard, t.petit",
            f"Team '{TEAM}': c.durand (group lead), s.bernard, t.petit")
    demo.ok("Valideurs des circuits : " + ", ".join(validators),
            "Circuit validators: " + ", ".join(validators))
    demo.ok("Conformité : j.blanc", "Compliance: j.blanc")


# --- customers ----------------------------------------------------------------------------
def _fr_vat(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


CUSTOMERS: list[tuple[str, dict[str, Any]]] = [
    ("person", {
        "title": "Madame", "last_name": "Dubois", "first_name": "Claire",
        "address_street": "8 rue des Lilas", "address_extra": "Bâtiment B",
        "postcode": "69003", "city": "Lyon", "email": "claire.dubois@exemple.fr",
        "mobile": "+33612345678", "payment_method": "virement", "payment_term_days": 30,
        "sales_rep_login": "s.bernard",
    }),
    ("company", {
        "is_company": True, "company_name": "Librairie du Parc SARL",
        "address_street": "14 avenue Jean Jaurès", "postcode": "38000", "city": "Grenoble",
        "email": "compta@librairie-du-parc.fr", "siret": "44306184100047",
        "vat_number": _fr_vat("443061841"), "payment_term_days": 45,
        "discount_subscriptions_pct": "10", "discount_items_pct": "5",
        "sales_rep_login": "t.petit",
    }),
    ("payer", {
        "type": "third_party_payer", "is_company": True,
        "company_name": "Mutuelle des Enseignants du Rhône",
        "address_name_extra": "Service des adhésions", "address_street": "3 quai Perrache",
        "postcode": "69002", "city": "Lyon", "email": "adhesions@mer-mutuelle.fr",
        "siret": "55208131766522", "vat_number": _fr_vat("552081317"), "payment_term_days": 30,
        "sales_rep_login": "c.durand",
    }),
    ("prospect", {
        "type": "prospect", "title": "Madame", "last_name": "Roux", "first_name": "Inès",
        "address_street": "21 rue Sainte-Catherine", "postcode": "33000", "city": "Bordeaux",
        "email": "ines.roux@exemple.fr", "sales_rep_login": "t.petit",
    }),
    ("public", {
        "is_company": True, "company_name": "Université de Lorraine", "is_public_buyer": True,
        "address_street": "34 cours Léopold", "postcode": "54000", "city": "Nancy",
        "email": "factures@univ-lorraine.example", "siret": "18000450900014",
        "service_code": "ACHATS", "payment_term_days": 30, "sales_rep_login": "c.durand",
    }),
    ("eu", {
        "is_company": True, "company_name": "Buchhandlung Müller GmbH",
        "address_street": "Friedrichstraße 112", "postcode": "10117", "city": "Berlin",
        "country": "DE", "email": "einkauf@buchhandlung-mueller.example",
        "vat_number": "DE136695976", "vat_regime": "eu", "invoice_language": "en",
        "payment_term_days": 30, "sales_rep_login": "s.bernard",
    }),
]

CONTACT = {"title": "Monsieur", "last_name": "Moreau", "first_name": "Julien",
           "email": "julien.moreau@librairie-du-parc.fr", "mobile": "+33687654321",
           "address_street": "14 avenue Jean Jaurès", "postcode": "38000", "city": "Grenoble",
           "sales_rep_login": "t.petit"}
BENEFICIARIES = [
    ("beneficiary1", {"title": "Monsieur", "last_name": "Lefèvre", "first_name": "Paul",
                      "address_street": "5 place Bellecour", "postcode": "69002", "city": "Lyon"}),
    ("beneficiary2", {"title": "Madame", "last_name": "Garnier", "first_name": "Sophie",
                      "address_street": "42 cours Lafayette", "postcode": "69006",
                      "city": "Lyon"}),
]


def create_customers(demo: Demo) -> None:
    demo.chapter(3, "Les clients, de tous les types", "Customers of every type")
    with demo.tx() as s:
        for role, data in CUSTOMERS:
            customer = create_customer(s, data, actor=demo.staff["admin"])
            demo.customers[role] = customer.number
            demo.ok(f"{customer.number} {customer.display_name} — {_label(customer)}",
                    f"{customer.number} {customer.display_name} — {_label(customer, 'en')}")
        contact = create_customer(s, {**CONTACT, "company_number": demo.customers["company"]},
                                  actor=demo.staff["admin"])
        demo.customers["contact"] = contact.number
        demo.ok(f"{contact.number} {contact.display_name} — contact de "
                f"{demo.customers['company']}",
                f"{contact.number} {contact.display_name} — contact of "
                f"{demo.customers['company']}")
        for role, data in BENEFICIARIES:
            person = create_customer(s, {**data, "type": "beneficiary",
                                         "payer_number": demo.customers["payer"],
                                         "sales_rep_login": "c.durand"},
                                     actor=demo.staff["admin"])
            demo.customers[role] = person.number
            demo.ok(f"{person.number} {person.display_name} — payé par {demo.customers['payer']}",
                    f"{person.number} {person.display_name} — paid by {demo.customers['payer']}")
    check_with_vies(demo, CUSTOMERS[5][1]["vat_number"])
    _follow_up_prospect(demo)
    _show_refused_customer(demo)
    _show_postal_address(demo)


def _label(customer: Any, language: str = "fr") -> str:
    words = {"normal": ("client normal", "normal customer"),
             "third_party_payer": ("tiers payant", "third-party payer"),
             "prospect": ("prospect", "prospect"), "beneficiary": ("payé par", "beneficiary")}
    fr, en = words[customer.type.value]
    parts = [en if language == "en" else fr]
    if customer.is_public_buyer:
        parts.append(f"acheteur public, SIRET {customer.siret}, code service "
                     f"{customer.service_code}" if language != "en" else
                     f"public buyer, SIRET {customer.siret}, service code {customer.service_code}")
    elif customer.vat_number and customer.country != "FR":
        parts.append(f"TVA intracommunautaire {customer.vat_number}" if language != "en"
                     else f"intra-EU VAT {customer.vat_number}")
    elif customer.siret:
        parts.append(f"SIRET {customer.siret}")
    return ", ".join(parts)


def _follow_up_prospect(demo: Demo) -> None:
    """Prospects get free offers only; the sales rep's reminder feeds `liasse tasks`."""
    with demo.tx() as s:
        add_action(s, demo.customers["prospect"], {
            "kind": "email", "subject": "Offre d'essai gratuite : 3 numéros de la revue",
            "author_login": "t.petit", "reminder_on": date.today(),
            "comment": "Rappeler pour proposer l'abonnement à la fin de l'essai."})
    demo.ok(f"{demo.customers['prospect']} : offre d'essai envoyée, rappel pour t.petit "
            "aujourd'hui (liasse tasks)",
            f"{demo.customers['prospect']}: free trial offer sent, reminder for t.petit today "
            "(liasse tasks)")


def _show_refused_customer(demo: Demo) -> None:
    """Bad input is refused with one clear sentence and nothing is written."""
    bad = {"type": "beneficiary", "last_name": "Sans-Payeur", "postcode": "69001",
           "city": "Lyon", "sales_rep_login": "s.bernard"}
    try:
        with demo.tx() as s:
            create_customer(s, bad, actor=demo.staff["admin"])
    except LiasseError as error:
        demo.refused("Bénéficiaire sans tiers payant refusé :",
                     "Beneficiary without a payer refused:", error.message)
    try:
        with demo.tx() as s:
            create_customer(s, {**CUSTOMERS[1][1], "siret": "44306184100048"},
                            actor=demo.staff["admin"])
    except LiasseError as error:
        demo.refused("SIRET faux refusé :", "Wrong SIRET refused:", error.message)


def _show_postal_address(demo: Demo) -> None:
    """The contact's postal block, as printed in a window envelope (NF Z10-011, 6 x 38)."""
    data = CONTACT
    lines = format_address(PostalRecipient(
        company=CUSTOMERS[1][1]["company_name"], title=data["title"],
        name=f"{data['first_name']} {data['last_name']}", name_extra="Service comptabilité",
        street=data["address_street"], postcode=data["postcode"], city=data["city"],
    ))
    body = "\n".join(f"{line:<38}" for line in lines)
    demo.console.print(Panel(body, title="NF Z10-011 — 6 × 38", expand=False))
