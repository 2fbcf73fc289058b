"""The customers / tasks / staff commands through the real entry point, on both databases.

The entry point (`liasse.cli.main.run`, through the shared `cli` fixture) is called in-process
with `LIASSE_DATABASE_URL` pointing at the test database, so a refused command is checked
exactly as a user sees it: one line on stderr, a non-zero exit code, and no row written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.models import Customer, CustomerAction
from dossiers.staff.models import StaffUser
from liasse.cli import environment
from tests.conftest import CliRun

from .support import VALID_IBAN, VALID_SIRET, count, counts


@dataclass
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(cli: CliRun) -> Iterator[Cli]:
    """The shared `cli` fixture, through the console script's path, as (code, out, err)."""

    def run(*args: str) -> Run:
        result = cli.run(*args)
        return Run(result.exit_code, result.stdout, result.stderr)

    yield run
    environment.session_factory().kw["bind"].dispose()


@pytest.fixture
def with_staff(cli: Cli) -> Cli:
    assert cli("staff", "add", "rep1", "--name", "Rep One", "--email", "rep1@liasse.example",
               "--role", "sales_rep").code == 0
    assert cli("staff", "add", "lead", "--name", "Lead", "--email", "lead@liasse.example",
               "--role", "group_lead", "--role", "sales_rep").code == 0
    assert cli("staff", "team-add", "Nord", "--lead", "lead").code == 0
    return cli


PERSON = ["--sales-rep", "rep1", "--title", "Mme", "--last-name", "Lefèvre",
          "--first-name", "Hélène", "--street", "12 RUE DE LA PAIX", "--postcode", "75002",
          "--city", "PARIS", "--email", "helene@exemple.fr", "--mobile", "0612345678"]


def test_add_show_search_export(with_staff: Cli, db: sessionmaker[Session],
                                tmp_path: Path) -> None:
    cli = with_staff
    added = cli("customers", "add", *PERSON, "--siret", VALID_SIRET, "--iban", VALID_IBAN,
                "--mandate", "RUM-1")
    assert added.code == 0, added.err
    assert "C000001" in added.out
    payer = cli("customers", "add", "--sales-rep", "lead", "--type", "third_party_payer",
                "--company", "--company-name", "EBSCO", "--postcode", "69001", "--city", "LYON")
    assert payer.code == 0, payer.err
    child = cli("customers", "add", *PERSON, "--type", "beneficiary", "--payer", "C000002",
                "--last-name", "Durand")
    assert child.code == 0, child.err

    shown = cli("customers", "show", "c3")
    assert shown.code == 0 and "DURAND" in shown.out.upper() and "C000002" in shown.out
    found = cli("customers", "search", "LEFEVRE", "--by", "name")
    assert "C000001" in found.out and "C000003" not in found.out
    listed = cli("customers", "list", "--type", "third_party_payer")
    assert "EBSCO" in listed.out and "C000001" not in listed.out

    target = tmp_path / "selection.xlsx"
    exported = cli("customers", "export", str(target), "--value", "paris",
                   "--columns", "number,last_name,city")
    assert exported.code == 0, exported.err
    rows = list(load_workbook(BytesIO(target.read_bytes())).active.iter_rows(values_only=True))
    assert rows == [("Numéro", "Nom", "Ville"), ("C000001", "Lefèvre", "PARIS"),
                    ("C000003", "Durand", "PARIS")]


BAD_ADD_ARGS = [
    (["--siret", "73282932000075"], "SIRET invalide : la clé de contrôle est fausse", 10),
    (["--iban", "FR7630006000011234567890188"], "IBAN invalide", 10),
    (["--vat", "FR4473282932"], "TVA intracommunautaire invalide", 10),
    (["--type", "beneficiary"], "doit être rattaché à son tiers payant", 10),
    (["--type", "beneficiary", "--payer", "C000099"], "Client inconnu : C000099", 3),
    (["--type", "beneficiary", "--payer", "C000001"], "n'est pas un tiers payant", 10),
    (["--sales-rep", "ghost"], "Utilisateur inconnu : ghost", 3),
    (["--discount-items", "150"], "au plus 100", 10),
]


def test_bad_input_one_line_nonzero_nothing_written(
    with_staff: Cli, db: sessionmaker[Session]
) -> None:
    cli = with_staff
    assert cli("customers", "add", *PERSON).code == 0  # C000001, a normal customer
    before = counts(db)
    for args, words, code in BAD_ADD_ARGS:
        result = cli("customers", "add", *PERSON, *args)
        assert (result.code, words in result.err) == (code, True), (args, result.err)
        assert result.err.strip().count("\n") == 0, result.err
        assert "Traceback" not in result.err
        assert counts(db) == before, args


def test_unknown_customer_on_show(cli: Cli, db: sessionmaker[Session]) -> None:
    result = cli("customers", "show", "C000404")
    assert result.code == 3
    assert result.err.strip() == "Erreur : Client inconnu : C000404."
    with db() as s:
        assert count(s, Customer) == 0


def test_tasks_due_today_overdue_and_done(with_staff: Cli, db: sessionmaker[Session]) -> None:
    cli = with_staff
    assert cli("customers", "add", *PERSON).code == 0
    for subject, day in (("Relance devis", "2026-03-01"), ("Appel", "2026-03-10")):
        made = cli("customers", "action", "C000001", "--kind", "letter", "--subject", subject,
                   "--author", "rep1", "--remind", day)
        assert made.code == 0, made.err
    listed = cli("tasks", "--today", "2026-03-10")
    assert listed.code == 0
    assert "1 tâche(s) du jour, 1 en retard" in listed.out
    assert cli("tasks", "--done", "1", "--by", "rep1").code == 0
    assert "0 en retard" in cli("tasks", "--today", "2026-03-10").out
    again = cli("tasks", "--done", "1")
    assert again.code == 4 and "déjà faite" in again.err
    bad = cli("customers", "action", "C000001", "--kind", "note", "--subject", "x",
              "--author", "rep1", "--remind", "10/03/2026")
    assert bad.code == 10 and "AAAA-MM-JJ" in bad.err  # a refusal, not a usage error
    with db() as s:
        assert count(s, CustomerAction) == 2


def test_staff_list_and_duplicate(with_staff: Cli, db: sessionmaker[Session]) -> None:
    cli = with_staff
    listed = cli("staff", "list", "--role", "group_lead")
    assert "lead" in listed.out and "rep1" not in listed.out
    dup = cli("staff", "add", "rep1", "--name", "X", "--email", "x@x.fr", "--role", "admin")
    assert dup.code == 4 and "déjà pris" in dup.err
    with db() as s:
        assert count(s, StaffUser) == 2


def test_postal_returns_use_the_configured_threshold(
    with_staff: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = with_staff
    monkeypatch.setenv("LIASSE_NPAI_THRESHOLD", "2")
    environment.clear_caches()
    assert cli("customers", "add", *PERSON).code == 0
    assert "1/2" in cli("customers", "postal-return", "C000001").out
    second = cli("customers", "postal-return", "C000001")
    assert "Seuil atteint" in second.out
    assert cli("customers", "state", "C000001", "suspended", "--reason", "NPAI").code == 0
    assert "suspended" in cli("customers", "show", "C000001").out


def test_add_without_email_warns_and_keeps_the_customer(
    with_staff: Cli, db: sessionmaker[Session]
) -> None:
    cli = with_staff
    at = PERSON.index("--email")
    added = cli("customers", "add", *PERSON[:at], *PERSON[at + 2:])
    assert added.code == 0, added.err
    assert "Client C000001 créé" in added.out
    assert ("le client C000001 n'a pas d'adresse e-mail, obligatoire sur une facture "
            "électronique") in " ".join(added.out.split())
    with db() as s:
        assert count(s, Customer) == 1
    quiet = cli("customers", "add", *PERSON)  # with an e-mail: nothing to say
    assert quiet.code == 0 and "adresse e-mail" not in quiet.out
