"""`liasse invoices show` prints the parties, the references and the document-level charges;
`liasse invoices list` never cuts an amount, however narrow the terminal."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def issued(cli, make_customer) -> str:
    c = make_customer(email="compta@client.example", service_code="SERV-9")
    done = cli("invoices", "issue", "--customer", c.number, "--date", "2026-03-02",
               "--line", "Formation|10|1000.55|S|20", "--line", "Livre|3|12345.67|S|5.5",
               "--charge", "50|Port", "--allowance", "20|Fidélité", "--po", "EJ-2026-42",
               "--service-code", "SERV-9")
    assert done.exit_code == 0, done.output
    return "F2026-00001"


def test_show_prints_parties_references_and_charges(cli, issued: str) -> None:
    shown = cli("invoices", "show", issued)
    assert shown.exit_code == 0, shown.output
    text = shown.text
    for expected in (
        "Vendeur : Éditions Liasse", "SIRET 40123456200015", "TVA FR46401234562",
        "Acheteur : Bibliothèque 1 (C00001)", "3 RUE DES LILAS, 75011 PARIS, FR",
        "SIRET 73282932000074", "TVA FR40303265045", "e-mail compta@client.example",
        "Bon de commande / engagement : EJ-2026-42", "Code service : SERV-9",
        "Remises et frais du document", "frais", "Port", "50.00", "remise", "Fidélité",
        "-20.00", "net à payer",
    ):
        assert expected in text, (expected, shown.output)
    english = cli("invoices", "show", issued, lang="en")
    assert "Seller : Éditions Liasse" in english.text and "Purchase order : EJ-2026-42" in (
        english.text)


def test_list_never_cuts_an_amount(cli, issued: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from liasse.cli.environment import console

    shown = cli("invoices", "show", issued)
    totals = re.search(r"HT ([\d.]+) € — TVA ([\d.]+) € — TTC ([\d.]+) €", shown.text)
    assert totals and len(totals.group(3)) >= 8, shown.output  # 51116.65
    for width in (200, 60, 40):
        monkeypatch.setattr(console, "_width", width)
        listed = cli("invoices", "list")
        assert listed.exit_code == 0, listed.output
        assert "…" not in listed.output, (width, listed.output)
        for total in totals.groups():
            assert total in listed.output, (width, total, listed.output)
