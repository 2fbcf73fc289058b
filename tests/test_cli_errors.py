"""How `liasse` fails: no traceback, the contract's exit code, one line in the user's language.

Through the real entry point (`liasse.cli.main.run`, and once as a real subprocess): usage
errors of typer's vendored click, outages, settings that do not validate, bugs (one line, the
traceback in `<LIASSE_HOME>/logs/`), a `typer.Exit` code honoured; `exit_code_for` on the
exceptions of each class; pydantic's complaints translated.
"""

from __future__ import annotations

import contextlib
import io
import os
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import click
import httpx
import pydantic
import pytest
import typer
from botocore.exceptions import EndpointConnectionError
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.exc import DataError, OperationalError

from application.schema import migrate
from dossiers.errors import ExitCode, IntegrityFailure, ValidationError
from dossiers.input_validation import pydantic_reason
from dossiers.invoicing.inputs import InvoiceInput, parse_input
from liasse.cli import environment, main
from liasse.cli.exit_codes import exit_code_for


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main.run(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite home; no other `LIASSE_*` variable from the outside."""
    for name in [n for n in os.environ if n.startswith("LIASSE_")]:
        monkeypatch.delenv(name)
    url = f"sqlite:///{(tmp_path / 'liasse.db').resolve()}"
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    monkeypatch.setenv("LIASSE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    migrate.upgrade(url)
    environment.clear_caches()
    yield tmp_path
    environment.clear_caches()


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# 1. No traceback -------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fr", "en"), [
    (["steps", "approve", "abc", "--as", "x"],
     "valeur invalide pour STEP_ID : nombre entier attendu (« abc »)",
     "invalid value for STEP_ID: a whole number is expected ('abc')"),
    (["steps", "approve", "15"], "option obligatoire manquante : --as", "missing option: --as"),
    (["frobnicate"], "commande inconnue : frobnicate", "no such command: frobnicate"),
    (["customers", "list", "--bogus"], "option inconnue : --bogus", "no such option: --bogus"),
    (["files", "attach", "3", "/nonexistent.pdf", "--kind", "x"],
     "fichier « /nonexistent.pdf » n'existe pas", "file '/nonexistent.pdf' does not exist"),
    (["invoices", "credit", "F9999-99999"], "option obligatoire manquante : --reason",
     "missing option: --reason"),
])
def test_usage_errors_are_one_line_in_the_users_language(
        home: Path, args: list[str], fr: str, en: str) -> None:
    code, _, err = run(*args)
    line = one_line(err)
    assert code == ExitCode.USAGE == 2
    assert line.startswith("Erreur d’utilisation : ") and fr in line, line
    assert "--help" in line
    code, _, err = run("--lang", "en", *args)
    line = one_line(err)
    assert code == 2 and line.startswith("Usage error : ") and en in line, line


def test_an_unknown_language_is_a_usage_error(home: Path) -> None:
    code, _, err = run("--lang", "xx", "customers", "list")
    assert code == 2 and "langue « xx » inconnue" in one_line(err)


def test_a_real_subprocess_prints_no_traceback(home: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "liasse.cli.main", "steps", "approve", "abc",
                           "--as", "x"], capture_output=True, text=True, env=dict(os.environ),
                          check=False, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert one_line(done.stderr).startswith("Erreur d’utilisation")


def test_an_unreachable_database_is_an_outage(home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIASSE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    environment.clear_caches()
    code, _, err = run("customers", "list")
    line = one_line(err)
    assert code == ExitCode.OUTAGE == 75
    assert "base de données 127.0.0.1:1/x injoignable" in line and "réessayez" in line, line
    code, _, err = run("--lang", "en", "db", "upgrade")
    assert code == 75 and "database 127.0.0.1:1/x unreachable" in one_line(err)


def test_an_unreachable_s3_endpoint_is_an_outage(home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"LIASSE_ARCHIVE_BACKEND": "s3",
                        "LIASSE_ARCHIVE_S3_ENDPOINT_URL": "http://127.0.0.1:1",
                        "LIASSE_ARCHIVE_S3_ACCESS_KEY": "k",
                        "LIASSE_ARCHIVE_S3_SECRET_KEY": "s"}.items():
        monkeypatch.setenv(name, value)
    environment.clear_caches()
    code, _, err = run("archive", "verify")
    assert code == 75 and "stockage S3 de l'archive injoignable" in one_line(err)


def test_a_setting_that_does_not_validate_names_the_variable(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIASSE_ARCHIVE_BACKEND", "bogus")
    environment.clear_caches()
    code, _, err = run("archive", "verify")
    line = one_line(err)
    assert code == ExitCode.CONFIG == 78
    assert "LIASSE_ARCHIVE_BACKEND" in line and "'local' ou 's3'" in line, line


def test_a_bug_is_one_line_and_its_traceback_goes_to_the_logs(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("liasse.cli.customers.quick_search", broken)
    code, _out, err = run("customers", "search", "x")
    line = one_line(err)
    assert code == ExitCode.INTERNAL == 70
    assert "Erreur interne (RuntimeError)" in line and "LIASSE_DEBUG=1" in line, line
    logs = list((home / "logs").glob("cli-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    assert "RuntimeError: boom" in logs[0].read_text(encoding="utf-8")
    monkeypatch.setenv("LIASSE_DEBUG", "1")
    code, _, err = run("customers", "search", "x")
    assert code == 70 and "Traceback" in err and "RuntimeError: boom" in err


def test_a_database_refusal_is_a_refusal(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value the database refuses (PostgreSQL: too long for its column) writes nothing and
    is one line, not a traceback."""
    def too_long(*args: object, **kwargs: object) -> None:
        raise DataError("INSERT", {}, Exception("value too long for type character varying(200)"))

    monkeypatch.setattr("liasse.cli.customers.quick_search", too_long)
    code, _, err = run("customers", "search", "x")
    assert code == ExitCode.REFUSED
    assert "la base de données refuse une valeur (value too long" in one_line(err)


def test_library_warnings_do_not_reach_stderr(home: Path) -> None:
    import logging

    code, _, _err = run("customers", "list")
    assert code == 0
    logging.getLogger("some.library").warning("noisy")
    assert "noisy" in (home / "logs" / "liasse.log").read_text(encoding="utf-8")


# 2. Exit codes ---------------------------------------------------------------------------------


def test_a_business_refusal_does_not_share_usages_code() -> None:
    assert ValidationError.exit_code == ExitCode.REFUSED == 10 != ExitCode.USAGE
    assert len({int(code) for code in ExitCode}) == len(ExitCode)


def _outages() -> list[BaseException]:
    from connectors.chorus_pro.errors import ChorusUnavailable
    from connectors.mail.base import MailError
    from connectors.sms.base import SmsError
    from connectors.soap.errors import SoapUnavailable

    request = httpx.Request("GET", "http://127.0.0.1:1/x")
    wrapped = RuntimeError("flow failed")
    wrapped.__cause__ = OperationalError("SELECT 1", {}, Exception("connection refused"))
    return [OperationalError("SELECT 1", {}, Exception("connection refused")),
            EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
            httpx.ConnectError("refused", request=request),
            smtplib.SMTPConnectError(421, "down"), ConnectionRefusedError(111, "refused"),
            MailError("SMTP en panne", "SMTP down"), SmsError("SMS en panne", "SMS down"),
            ChorusUnavailable("refused", path="/x"), SoapUnavailable("VIES", "refused"),
            wrapped]


@pytest.mark.parametrize("exc", _outages(), ids=lambda e: type(e).__name__)
def test_every_outage_has_the_outage_code(exc: BaseException) -> None:
    assert exit_code_for(exc) is ExitCode.OUTAGE


def test_the_other_classes() -> None:
    from connectors.sms.base import InvalidPhoneNumber

    assert exit_code_for(click.UsageError("x")) is ExitCode.USAGE
    assert exit_code_for(typer.BadParameter("x")) is ExitCode.USAGE
    assert exit_code_for(typer.Exit(3)) is ExitCode.NOT_FOUND
    assert exit_code_for(InvalidPhoneNumber("x")) is ExitCode.REFUSED  # not an SMS outage
    assert exit_code_for(IntegrityFailure("x")) is ExitCode.INTEGRITY
    assert exit_code_for(KeyboardInterrupt()) is ExitCode.INTERRUPTED
    assert exit_code_for(ValueError("a bug")) is ExitCode.INTERNAL
    assert exit_code_for(typer.Exit(42)) is ExitCode.INTERNAL  # outside the contract


# 3. typer.Exit is honoured ---------------------------------------------------------------------


def test_facturx_check_of_a_file_that_is_no_pdf_exits_refused(home: Path) -> None:
    bad = home / "notpdf.pdf"
    bad.write_text("not a PDF", encoding="utf-8")
    for group in ("facturx", "invoices"):
        code, out, err = run(group, "check", str(bad))
        assert "REFUSÉ" in out
        assert code == ExitCode.REFUSED, (group, code)
        assert one_line(err) == "Erreur : 1 fichier(s) refusé(s) sur 1."


# 4. Messages -----------------------------------------------------------------------------------


class _Everything(BaseModel):
    positive: Annotated[Decimal, Field(gt=0)] = Decimal(1)
    small: Annotated[int, Field(ge=0, le=10)] = 0
    below: Annotated[float, Field(lt=1)] = 0
    short: Annotated[str, StringConstraints(max_length=3)] = ""
    filled: Annotated[str, StringConstraints(min_length=2)] = "ok"
    pattern: Annotated[str, StringConstraints(pattern=r"^[A-Z]+$")] = "A"
    choice: Literal["a", "b"] = "a"
    day: pydantic.types.date | None = None
    flag: bool = False
    items: Annotated[list[int], Field(min_length=1)] = [1]
    money: Annotated[Decimal, Field(max_digits=4, decimal_places=2)] = Decimal(0)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("positive", "-1", "doit être supérieur à 0"), ("positive", "abc", "nombre attendu"),
    ("small", "11", "doit être au plus 10"), ("small", "-1", "doit être au moins 0"),
    ("small", "x", "nombre entier attendu"), ("small", "1.5", "nombre entier attendu"),
    ("below", "3", "doit être inférieur à 1"), ("short", "abcd", "3 caractères au plus"),
    ("filled", "a", "2 caractères au moins"), ("pattern", "a", "format incorrect"),
    ("choice", "c", "valeur non permise (attendu : 'a' ou 'b')"),
    ("day", "notadate", "date invalide (AAAA-MM-JJ attendu)"),
    ("flag", "maybe", "oui/non attendu"), ("items", [], "1 élément(s) au moins"),
    ("items", "x", "liste attendue"), ("money", "123.456", "4 chiffres au plus"),
    ("unknown", "x", "champ inconnu"),
])
def test_pydantic_errors_are_translated(field: str, value: object, expected: str) -> None:
    model = type("Strict", (_Everything,), {"model_config": pydantic.ConfigDict(
        extra="forbid")})
    with pytest.raises(pydantic.ValidationError) as caught:
        model.model_validate({field: value})
    fr, en = pydantic_reason(caught.value.errors()[0])
    assert fr == expected or fr.startswith(expected), (fr, en)
    for english in ("Input should", "should be", "should have", "Value error", "Field "):
        assert english not in fr, fr
    assert en


def test_invoice_shape_errors_name_the_field_in_words() -> None:
    data = {"customer": "C1", "lines": [{"description": "x", "quantity": 1,
                                         "unit_price": 10}],
            "adjustments": [{"amount": "-5", "reason": "x"}]}
    with pytest.raises(ValidationError) as caught:
        parse_input(InvoiceInput, data)
    assert caught.value.fr == ("Donnée de facture invalide « remise/frais 1, montant » : doit "
                               "être supérieur à 0.")
    assert caught.value.en == ("Invalid invoice data 'allowance/charge 1, amount': must be "
                               "greater than 0.")
    data["adjustments"] = []
    data["lines"][0]["quantity"] = "abc"
    with pytest.raises(ValidationError) as caught:
        parse_input(InvoiceInput, data)
    assert caught.value.fr == "Donnée de facture invalide « ligne 1, quantité » : nombre attendu."


@pytest.mark.postgres
def test_a_value_too_long_for_postgresql_is_a_refusal(
        pg_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL refuses a 5,000-character value that SQLite would store: one line, exit 10,
    nothing written (whether the command checks the length itself or the database does)."""
    from alembic import command
    from sqlalchemy import text

    from tests.conftest import _empty_all_tables

    _empty_all_tables(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    command.stamp(migrate.alembic_config(url), "head")
    for name in [n for n in os.environ if n.startswith("LIASSE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path))
    monkeypatch.setenv("LIASSE_DATABASE_URL", url)
    environment.clear_caches()
    pdf = tmp_path / "contract.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with pdf.open("wb") as handle:
        writer.write(handle)
    long = "x" * 5000
    try:
        for args in (["invoices", "series", "LONG", long],
                     ["sign", "open", str(pdf), "--title", long, "--signer",
                      "Jean Dupont;jean@example.fr;+33612345678;client"]):
            code, _, err = run(*args)
            assert code == ExitCode.REFUSED, (args[:2], err)
            one_line(err)
        with pg_engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM invoice_series")).scalar_one() == 0
    finally:
        environment.session_factory().kw["bind"].dispose()
        environment.clear_caches()


def test_circuit_errors_are_translated_too() -> None:
    from dossiers.circuits.loader import parse_circuit

    text = (Path(__file__).parent.parent / "circuits" / "default.yaml").read_text(
        encoding="utf-8").replace("sla_hours: 24", "sla_hours: soon", 1)
    with pytest.raises(ValidationError) as caught:
        parse_circuit(text, source="default.yaml")
    assert "« order_form »" in caught.value.fr and "nombre entier attendu" in caught.value.fr
    assert "Input should" not in caught.value.fr
