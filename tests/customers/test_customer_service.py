"""Creating and changing customers: rules checked before writing, audit on every change."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent, verify
from dossiers.customers.inputs import CustomerInput
from dossiers.customers.models import Customer, CustomerState, CustomerType
from dossiers.customers.rules import invoicing_warnings
from dossiers.customers.service import (
    beneficiaries,
    change_state,
    company_contacts,
    create_customer,
    get_customer,
    update_customer,
)
from dossiers.db import transaction
from dossiers.errors import ConflictError, IllegalTransition, NotFound, ValidationError
from dossiers.identifiers import IdentifierChecksumError, IdentifierLengthError
from dossiers.input_validation import parse_input

from .support import (
    VALID_FR_VAT,
    VALID_IBAN,
    VALID_SIRET,
    counts,
    customer_data,
)

AddCustomer = Callable[..., Customer]


def test_create_stores_compact_identifiers_and_audits(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer(siret="732 829 320 00074", vat_number="fr 44 732829320",
                            iban="fr76 3000 6000 0112 3456 7890 189", bic="AGRIFRPP",
                            mandate_reference="RUM-1", discount_items_pct="12.5",
                            payment_term_days=30)
    with db() as s:
        stored = get_customer(s, customer.number)
        assert stored.number == "C000001"
        assert (stored.siret, stored.vat_number, stored.iban) == (
            VALID_SIRET, VALID_FR_VAT, VALID_IBAN)
        assert stored.mobile == "+33612345678"
        assert stored.discount_items_pct == Decimal("12.50")
        assert stored.state == CustomerState.ACTIVE
        events = s.scalars(select(AuditEvent).where(AuditEvent.customer_id == stored.id)).all()
        assert [e.action for e in events] == ["customer.created"]
        assert events[0].data["sales_rep"] == "rep1"
        assert verify(s).ok


def test_numbers_are_sequential_and_a_rolled_back_creation_gives_its_number_back(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    assert add_customer().number == "C000001"
    with pytest.raises(RuntimeError), transaction(db) as s:
        assert create_customer(s, customer_data()).number == "C000002"
        raise RuntimeError("crash after numbering")
    assert add_customer().number == "C000002"
    assert add_customer(last_name="Martin").number == "C000003"


BAD_INPUTS = [
    ({"siret": "73282932000075"}, IdentifierChecksumError, "SIRET invalide"),
    ({"iban": "FR763000600001123456789018"}, IdentifierLengthError, "IBAN invalide"),
    ({"vat_number": "FR4473282932"}, IdentifierLengthError, "TVA"),
    ({"email": "jean.dupont@"}, ValidationError, "e-mail"),
    ({"mobile": "01 23 45 67 89"}, ValidationError, "mobile"),
    ({"address_street": "X" * 39}, ValidationError, "38 caractères au plus"),
    ({"last_name": "DE LA TOUR D AUVERGNE LAURAGUAIS", "first_name": "Marie-Charlotte"},
     ValidationError, "ligne 2"),
    ({"postcode": "7500"}, ValidationError, "5 chiffres"),
    ({"discount_subscriptions_pct": 101}, ValidationError, "au plus 100"),
    ({"discount_items_pct": -1}, ValidationError, "au moins 0"),
    ({"payment_term_days": -5}, ValidationError, "au moins 0"),
    ({"type": "beneficiary"}, ValidationError, "tiers payant"),
    ({"payer_number": "C000001"}, ValidationError, "Seul un client « payé par »"),
    ({"mandate_reference": "RUM-1"}, ValidationError, "IBAN"),
    ({"siret": VALID_SIRET, "vat_number": "FR40303265045"}, ValidationError, "ne correspond pas"),
    ({"vat_regime": "eu"}, ValidationError, "numéro de TVA"),
    ({"is_public_buyer": True}, ValidationError, "SIRET"),
    ({"last_name": None}, ValidationError, "nom ou une société"),
    ({"type": "vip"}, ValidationError, "type de client"),
    ({"sales_rep_login": ""}, ValidationError, "commercial"),
    ({"payment_term_days": "trente"}, ValidationError, "nombre entier attendu"),
    ({"mandate_signed_on": "hier"}, ValidationError, "AAAA-MM-JJ"),
]


@pytest.mark.parametrize(("overrides", "error", "words"), BAD_INPUTS)
def test_bad_input_is_refused_at_the_edge_with_a_clear_reason(
    overrides: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        parse_input(CustomerInput, customer_data(**overrides))
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


REFUSED_AT_CREATION: list[tuple[dict[str, object], type[Exception]]] = [
    ({"siret": "73282932000075"}, IdentifierChecksumError),
    ({"iban": "FR7630006000011234567890188"}, IdentifierChecksumError),
    ({"vat_number": "FR45732829320"}, IdentifierChecksumError),
    ({"type": "beneficiary"}, ValidationError),
    ({"type": "beneficiary", "payer_number": "C000077"}, NotFound),
    ({"sales_rep_login": "nobody"}, NotFound),
    ({"sales_rep_login": "ops"}, ValidationError),
]


def test_refused_creation_writes_nothing(db: sessionmaker[Session], staff: None) -> None:
    # All cases on one database set-up (each backend once): each must raise and write nothing.
    before = counts(db)
    for overrides, error in REFUSED_AT_CREATION:
        with pytest.raises(error), transaction(db) as s:
            create_customer(s, customer_data(**overrides))
        assert counts(db) == before, overrides
    with transaction(db) as s:  # and no number was burnt
        assert create_customer(s, customer_data()).number == "C000001"


def test_beneficiary_links_an_existing_third_party_payer(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    normal = add_customer()
    payer = add_customer(type="third_party_payer", company_name="EBSCO", last_name=None,
                         is_company=True)
    with pytest.raises(ValidationError, match="n'est pas un tiers payant"), transaction(db) as s:
        create_customer(s, customer_data(type="beneficiary", payer_number=normal.number))
    with pytest.raises(NotFound, match="C000099"), transaction(db) as s:
        create_customer(s, customer_data(type="beneficiary", payer_number="C000099"))
    child = add_customer(type="beneficiary", payer_number=payer.number.lower(),
                         last_name="Durand")
    with db() as s:
        assert get_customer(s, child.number).payer.number == payer.number
        assert [b.number for b in beneficiaries(s, get_customer(s, payer.number))] == [
            child.number]


def test_payer_with_beneficiaries_cannot_change_type(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    payer = add_customer(type="third_party_payer", company_name="OFUP", last_name=None)
    add_customer(type="beneficiary", payer_number=payer.number)
    before = counts(db)
    with pytest.raises(ValidationError, match="1 bénéficiaire"), transaction(db) as s:
        update_customer(s, payer.number, {"type": "normal"})
    assert counts(db) == before


def test_update_rechecks_everything_and_audits_changed_fields(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        updated = update_customer(s, customer.number, {"city": "LYON", "postcode": "69001",
                                                       "payment_term_days": 45}, actor="rep1")
        assert updated.version == 2
    with transaction(db) as s:  # no change: no event, no new version
        assert update_customer(s, customer.number, {"city": "LYON"}).version == 2
    before = counts(db)
    with pytest.raises(IdentifierChecksumError), transaction(db) as s:
        update_customer(s, customer.number, {"siret": "73282932000075"})
    with pytest.raises(ValidationError, match="inconnu"), transaction(db) as s:
        update_customer(s, customer.number, {"colour": "blue"})
    assert counts(db) == before
    with db() as s:
        stored = get_customer(s, customer.number)
        assert (stored.city, stored.search_city, stored.payment_term_days) == (
            "LYON", "lyon", 45)
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.updated")).one()
        assert event.data == {"changed": {"city": "LYON", "payment_term_days": 45,
                                          "postcode": "69001"}}
        assert (event.actor, event.customer_id) == ("rep1", stored.id)


def test_update_with_a_stale_version_is_a_conflict(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        update_customer(s, customer.number, {"city": "LYON", "postcode": "69001"},
                        expected_version=1)
    with pytest.raises(ConflictError, match="modifié entre-temps"), transaction(db) as s:
        update_customer(s, customer.number, {"city": "NICE"}, expected_version=1)


def test_state_changes_are_audited_and_same_state_is_refused(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        change_state(s, customer.number, "suspended", actor="rep1", reason="vacances")
    with transaction(db) as s:
        change_state(s, customer.number, CustomerState.STRUCK_OFF, reason="décédé")
    with transaction(db) as s:
        change_state(s, customer.number, "active")
    with pytest.raises(IllegalTransition, match="déjà"), transaction(db) as s:
        change_state(s, customer.number, "active")
    with pytest.raises(ValidationError, match="État inconnu"), transaction(db) as s:
        change_state(s, customer.number, "sleeping")
    with db() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.state_changed")
                           .order_by(AuditEvent.seq)).all()
        assert [(e.data["from"], e.data["to"]) for e in events] == [
            ("active", "suspended"), ("suspended", "struck_off"), ("struck_off", "active")]
        assert events[0].data["reason"] == "vacances"


def test_contacts_attach_to_a_company_record_only(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    company = add_customer(is_company=True, company_name="ACME SA", last_name=None)
    person = add_customer()
    contact = add_customer(company_number=company.number, company_name="ACME SA",
                           last_name="Leroy")
    with pytest.raises(ValidationError, match="pas une fiche société"), transaction(db) as s:
        create_customer(s, customer_data(company_number=person.number))
    with db() as s:
        contacts = company_contacts(s, get_customer(s, company.number))
        assert [c.number for c in contacts] == [contact.number]
        assert get_customer(s, contact.number).company_id == company.id


def test_unknown_customer_is_not_found(db: sessionmaker[Session]) -> None:
    with db() as s, pytest.raises(NotFound, match="Client inconnu : C000042"):
        get_customer(s, "C000042")


def test_prospect_and_types_are_stored(add_customer: AddCustomer) -> None:
    prospect = add_customer(type="prospect")
    assert prospect.type == CustomerType.PROSPECT


def test_an_invoiceable_customer_without_email_is_warned_about(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    # BR-FR-12: every invoice needs the buyer's e-mail (BT-49); say it when the record is saved,
    # not when the first invoice is refused. The customer is created all the same.
    no_email = add_customer(email=None)
    payer = add_customer(type="third_party_payer", email=None)
    prospect = add_customer(type="prospect", email=None)
    beneficiary = add_customer(type="beneficiary", payer_number=payer.number, email=None)
    with_email = add_customer()
    with db() as s:
        warned = {c.number: invoicing_warnings(get_customer(s, c.number))
                  for c in (no_email, payer, prospect, beneficiary, with_email)}
    assert warned[with_email.number] == []
    assert [w.fr for w in warned[no_email.number]] == [
        f"Attention : le client {no_email.number} n'a pas d'adresse e-mail, obligatoire sur une "
        "facture électronique ; ses factures seront refusées tant qu'elle manque."]
    assert "has no e-mail address, required on an electronic invoice" in \
        warned[no_email.number][0].en
    assert warned[payer.number] and not warned[prospect.number]
    assert not warned[beneficiary.number]  # never invoiced: its payer is
