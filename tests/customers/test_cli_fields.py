"""`liasse customers show` shows every field a user set; `customers update` takes the names of
the `customers add` options and lists them when a name is unknown."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.inputs import INPUT_FIELDS, PUBLIC_NAMES, field_named
from dossiers.customers.models import Customer
from dossiers.errors import ValidationError
from liasse.cli import customers as customers_cli

from .support import VALID_SIRET


def test_update_and_add_use_the_same_names() -> None:
    add = next(c for c in customers_cli.app.registered_commands if c.name == "add")
    options = {p.opts[0].removeprefix("--")
               for p in typer.main.get_command_from_info(
                   add, pretty_exceptions_short=True, rich_markup_mode=None).params
               if p.opts and p.opts[0].startswith("--")} - {"help", "no-vies"}
    assert options <= set(PUBLIC_NAMES), options - set(PUBLIC_NAMES)
    assert set(PUBLIC_NAMES.values()) == set(INPUT_FIELDS)  # every field has its name
    assert field_named("vat") == field_named("vat_number") == "vat_number"
    assert field_named("name_extra") == "address_name_extra"


def test_update_by_add_option_names(cli, add_customer, db: sessionmaker[Session]) -> None:
    c = add_customer()
    done = cli("customers", "update", c.number, "street=2 RUE NEUVE", "discount-items=7.5",
               "public-buyer=non", "payment-term=45", "--no-vies")
    assert done.exit_code == 0, done.output
    with db() as s:
        row = s.get(Customer, c.id)
        assert (row.address_street, str(row.discount_items_pct), row.is_public_buyer,
                row.payment_term_days) == ("2 RUE NEUVE", "7.50", False, 45)
    unknown = cli("customers", "update", c.number, "colour=blue", "vat_regime=eu")
    assert isinstance(unknown.exception, ValidationError)
    message = str(unknown.exception)
    assert message.startswith("Champ(s) inconnu(s) : colour. Champs possibles : ")
    for name in ("street", "vat", "vat-regime", "discount-items", "public-buyer", "email"):
        assert name in message
    english = cli("customers", "update", c.number, "colour=blue", lang="en")
    assert "Unknown field(s): colour. Valid fields: " in str(english.exception)


def test_show_lists_every_field(cli, add_customer) -> None:
    c = add_customer(is_company=True, company_name="MAIRIE DE LYON", siret=VALID_SIRET,
                     email="compta@mairie.example", vat_regime="exempt",
                     discount_subscriptions_pct="10", discount_items_pct="2.5",
                     is_public_buyer=True, service_code="SERV-42", payment_term_days=30)
    shown = cli("customers", "show", c.number)
    assert shown.exit_code == 0, shown.output
    for expected in ("e-mail : compta@mairie.example", "affiliation TVA : exempt",
                     "remise abonnements : 10 %", "remise factures : 2.5 %",
                     "acheteur public (Chorus Pro) : oui", "code service : SERV-42",
                     "échéance : 30 jour(s)", "commercial : rep1"):
        assert expected in shown.text, (expected, shown.output)
    english = cli("customers", "show", c.number, lang="en")
    assert "public buyer (Chorus Pro) : yes" in english.text
    # Bracketed text is printed, not read as rich markup.
    assert cli("customers", "address-add", c.number, "--kind", "billing", "--postcode", "69001",
               "--city", "LYON", "--recipient", "SERVICE FACTURES").exit_code == 0
    assert "[billing]" in cli("customers", "show", c.number).text
