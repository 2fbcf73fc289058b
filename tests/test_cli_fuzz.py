"""Bad invocations of every `liasse` command, in-process through the real entry point.

One migrated SQLite home for the module (a staff user, a customer, a few files to point at);
each row of `BAD` runs `liasse.cli.main.run(args)` and checks what a script relies on:

- no traceback on stdout or stderr, one line on stderr (the help for a bare group);
- the exit code of the row's class in the contract (`dossiers.errors.ExitCode`): usage 2,
  business refusal 10, not found 3, conflict 4, integrity 7, outage 75, configuration 78...;
- nothing written: every table's row count, the blob, archive and outbox files are the same
  before and after.

Rows with `env` run with those `LIASSE_*` variables (an unreachable database, S3 endpoint, SMTP
server, Chorus Pro or VIES service); the CLI's caches are cleared around them.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import Engine

from application.schema import migrate
from dossiers.errors import ExitCode
from liasse.cli import environment, main

USAGE, REFUSED, NOT_FOUND = ExitCode.USAGE, ExitCode.REFUSED, ExitCode.NOT_FOUND
CONFLICT, INTEGRITY, OUTAGE, CONFIG = (ExitCode.CONFLICT, ExitCode.INTEGRITY, ExitCode.OUTAGE,
                                       ExitCode.CONFIG)

NO_DB = {"LIASSE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
NO_S3 = {"LIASSE_ARCHIVE_BACKEND": "s3", "LIASSE_ARCHIVE_S3_ENDPOINT_URL": "http://127.0.0.1:1",
         "LIASSE_ARCHIVE_S3_ACCESS_KEY": "k", "LIASSE_ARCHIVE_S3_SECRET_KEY": "s"}
NO_SMTP = {"LIASSE_SMTP_HOST": "127.0.0.1", "LIASSE_SMTP_PORT": "1"}
NO_CHORUS = {"LIASSE_CHORUS_API_BASE_URL": "http://127.0.0.1:1",
             "LIASSE_CHORUS_OAUTH_BASE_URL": "http://127.0.0.1:1",
             "LIASSE_CHORUS_CLIENT_ID": "id", "LIASSE_CHORUS_CLIENT_SECRET": "secret",
             "LIASSE_CHORUS_TECHNICAL_LOGIN": "login",
             "LIASSE_CHORUS_TECHNICAL_PASSWORD": "pw"}
NO_VIES = {"LIASSE_VIES_URL": "http://127.0.0.1:1/vies"}
SIGNER = "Jean Dupont;jean@example.fr;+33612345678;client"
LONG = "x" * 300


@dataclass(frozen=True)
class Bad:
    """One bad command line (placeholders: {blank} an unsigned PDF, {text} a text file named
    .pdf, {missing} a path that does not exist, {out} a writable folder, {yaml} an invoice file
    without lines, {invoice} a well-formed one, {session} a signing session whose invitation
    could not be mailed) and the exit code its class must give."""

    line: str
    code: ExitCode
    env: dict[str, str] = field(default_factory=dict)
    help_text: bool = False  # a bare group prints its help (click's NoArgsIsHelp)
    quiet: bool = False  # the answer is on stdout (`--json`), stderr may stay empty
    known: str | None = None  # a defect of a command this test does not own: strict xfail

    def args(self, paths: dict[str, str]) -> list[str]:
        return [part.format(**paths) for part in shlex.split(self.line)]


BAD: list[Bad] = [
    # The root, groups, unknown commands and options, the language.
    Bad("frobnicate", USAGE),
    Bad("--bogus", USAGE),
    Bad("--lang xx customers list", USAGE),
    Bad("--lang", USAGE),
    Bad("", USAGE, help_text=True),
    Bad("customers", USAGE, help_text=True),
    Bad("customers frobnicate", USAGE),
    Bad("--lang en customers list --bogus", USAGE),
    Bad("customers list", CONFIG, env={"LIASSE_LANGUAGE": "xx"}),
    Bad("config --bogus", USAGE),
    Bad("portal --bogus", USAGE),
    Bad("archive verify", CONFIG, env={"LIASSE_ARCHIVE_BACKEND": "bogus"}),
    # archive
    Bad("archive get abc -o {out}/x.pdf", USAGE),
    Bad("archive get 1", USAGE),
    Bad("archive get 999 -o {out}/x.pdf", NOT_FOUND),
    Bad("archive verify --sample abc", USAGE),
    Bad("archive export", USAGE),
    Bad("archive verify-export {missing}", USAGE),
    Bad("archive hold", USAGE),
    Bad("archive hold abc --reason x", USAGE),
    Bad("archive hold 999 --reason x", NOT_FOUND),
    Bad("archive release 999 --reason x", NOT_FOUND),
    Bad("archive sweep --limit abc", USAGE),
    Bad("archive verify-audit-log {missing} {missing}", USAGE),
    Bad("archive frobnicate", USAGE),
    Bad("archive find --bogus", USAGE),
    Bad("archive find --customer", USAGE),
    Bad("archive find --from notadate", USAGE),
    Bad("archive export-audit-log --bogus", USAGE),
    # audit
    Bad("audit show --customer abc", USAGE),
    Bad("audit show --limit x", USAGE),
    Bad("audit verify --bogus", USAGE),
    # chorus
    Bad("chorus deposit", USAGE),
    Bad("chorus deposit {missing} --invoice X", USAGE),
    Bad("chorus deposit {blank}", USAGE),
    Bad("chorus buyer", USAGE),
    Bad("chorus poll --now extra", USAGE),
    Bad("chorus status --bogus", USAGE),
    # customers
    Bad("customers add", USAGE),
    Bad("customers add --sales-rep rep1 --last-name X --payment-term abc", USAGE),
    Bad("customers add --sales-rep rep1 --last-name X --bogus", USAGE),
    Bad("customers add --sales-rep rep1 --last-name X --siret 123", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --email notanemail", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --type bogus", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --country XX", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --discount-items abc", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --discount-items -1", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --payment-term -3", REFUSED),
    Bad("customers add --sales-rep ghost --last-name X", NOT_FOUND),
    Bad("customers add --sales-rep rep1 --last-name X --vat-regime eu", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --mobile 12", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --iban FR00", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --postcode 7500 --city PARIS", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --invoice-language de", REFUSED),
    Bad("customers add --sales-rep rep1 --last-name X --public-buyer", REFUSED),
    Bad(f"customers add --sales-rep rep1 --last-name {LONG}", REFUSED),
    Bad("customers add --sales-rep rep1", REFUSED),
    Bad("customers list --limit abc", USAGE),
    Bad("customers list --type bogus", REFUSED),
    Bad("customers list --state bogus", REFUSED),
    Bad("customers search", USAGE),
    Bad("customers export", USAGE),
    Bad("customers show", USAGE),
    Bad("customers show C000404", NOT_FOUND),
    Bad("customers show C000001 extra", USAGE),
    Bad("customers update C000001", USAGE),
    Bad("customers update C000001 foo=1", REFUSED),
    Bad("customers update C000001 novalue", REFUSED),
    Bad("customers update C000404 city=LYON", NOT_FOUND),
    Bad("customers update C000001 email=bad", REFUSED),
    Bad("customers update C000001 discount-items=200", REFUSED),
    Bad("customers update C000001 payment-term=abc", REFUSED),
    Bad("customers update C000001 type=bogus", REFUSED),
    Bad("customers update C000001 vat_regime=eu", REFUSED),
    Bad("customers vat-check C000001", REFUSED),
    Bad("customers vat-check C000404", NOT_FOUND),
    Bad("customers state C000001 bogus", REFUSED),
    Bad("customers state C000404 suspended", NOT_FOUND),
    Bad("customers state C000001", USAGE),
    Bad("customers postal-return", USAGE),
    Bad("customers postal-return C000404", NOT_FOUND),
    Bad("customers action C000001 --subject s --author rep1", USAGE),
    Bad("customers action C000001 --kind bogus --subject s --author rep1", REFUSED),
    Bad("customers action C000001 --kind note --subject s --author rep1 --remind 10/03/2026",
        REFUSED),
    Bad("customers action C000001 --kind note --subject s --author ghost", NOT_FOUND),
    Bad("customers action C000404 --kind note --subject s --author rep1", NOT_FOUND),
    Bad("customers address-add C000001 --kind billing --city PARIS", USAGE),
    Bad("customers address-add C000001 --kind bogus --postcode 75001 --city PARIS "
        "--recipient X", REFUSED),
    Bad("customers address-add C000001 --kind billing --postcode 75001 --city PARIS", REFUSED),
    Bad("customers address-add C000001 --kind billing --postcode 75001 --city PARIS "
        "--recipient X --from notadate", REFUSED),
    Bad("customers code-define X", USAGE),
    Bad("customers code-set C000001 NOPE x", NOT_FOUND),
    Bad("customers code-set C000001", USAGE),
    # db
    Bad("db revision", USAGE),
    Bad("db upgrade a b", USAGE),
    # demo, serve, tasks (top-level commands)
    Bad("demo --bogus", USAGE),
    Bad("serve --port abc", USAGE),
    Bad("tasks --done abc", USAGE),
    Bad("tasks --done 999", NOT_FOUND),
    Bad("tasks --today notadate", REFUSED),
    # facturx / invoices check
    Bad("facturx check", USAGE),
    Bad("facturx check {missing}", REFUSED),
    Bad("facturx check {text}", REFUSED),
    Bad("facturx check {blank}", REFUSED),
    Bad("facturx check --json {text}", REFUSED, quiet=True),
    Bad("facturx samples", USAGE),
    Bad("invoices check {text}", REFUSED),
    # files
    Bad("files start", USAGE),
    Bad("files start --customer C000404", NOT_FOUND),
    Bad("files circuits extra", USAGE),
    Bad("files show abc", USAGE),
    Bad("files show 999", NOT_FOUND),
    Bad("files next 999", NOT_FOUND),
    Bad("files attach 3 {missing} --kind x", USAGE),
    Bad("files attach abc {blank} --kind x", USAGE),
    Bad("files attach 999 {blank} --kind x", REFUSED),
    Bad("files attach 999 {blank} --kind supporting_documents", NOT_FOUND),
    Bad("files cancel 1", USAGE),
    Bad("files cancel 999 --as rep1", NOT_FOUND),
    Bad("files reopen 1 --step x", USAGE),
    # flow
    Bad("flow start abc", USAGE),
    Bad("flow decide 1", USAGE),
    Bad("flow decide abc --as x", USAGE),
    Bad("flow wake --bogus", USAGE),
    # invoices
    Bad("invoices issue", REFUSED),
    Bad("invoices issue {missing}", REFUSED),
    Bad("invoices issue {yaml}", REFUSED),
    Bad("invoices issue --customer C000404 --line x|1|10", NOT_FOUND),
    Bad("invoices issue --customer C000001 --line x|-1|10", REFUSED),
    Bad("invoices issue --customer C000001 --line x|abc|10", REFUSED),
    Bad("invoices issue --customer C000001 --line bad", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10 --allowance -5|x", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10 --charge abc|x", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10 --date notadate", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10|Z|20", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10|S|7", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10|S|20|kind=bogus", REFUSED),
    Bad("invoices issue --customer C000001 --line x|1|10|S|20|colour=red", REFUSED),
    Bad("invoices post F9999-99999", NOT_FOUND),
    Bad("invoices post", USAGE),
    Bad("invoices show F9999-99999", NOT_FOUND),
    Bad("invoices show", USAGE),
    Bad("invoices show F1 --pdf", USAGE),
    Bad("invoices list --kind bogus", USAGE),
    Bad("invoices list --state bogus", USAGE),
    Bad("invoices list --limit 0", USAGE),
    Bad("invoices list --limit abc", USAGE),
    Bad("invoices credit F9999-99999", USAGE),
    Bad("invoices credit F9999-99999 --reason x", NOT_FOUND),
    Bad("invoices credit F9999-99999 --reason x --amount abc", USAGE),
    Bad("invoices reissue F9999-99999", USAGE),
    Bad("invoices reissue F9999-99999 {yaml} --reason x", REFUSED),
    Bad("invoices reissue F9999-99999 {invoice} --reason x", NOT_FOUND),
    Bad("invoices render F9999-99999", NOT_FOUND),
    Bad("invoices series X", USAGE),
    Bad("invoices series X Y --digits abc", USAGE),
    Bad("invoices example --bogus", USAGE),
    Bad("invoices example extra", USAGE),
    # retimestamp, verify
    Bad("retimestamp", USAGE),
    Bad("retimestamp {missing}", ExitCode.UNVERIFIABLE),
    Bad("verify", USAGE),
    Bad("verify {missing}", ExitCode.UNVERIFIABLE),
    Bad("verify {blank}", INTEGRITY),
    Bad("verify {text}", INTEGRITY),
    # sign
    Bad("sign seal", USAGE),
    Bad("sign seal {missing}", REFUSED),
    Bad("sign open {blank}", USAGE),
    Bad("sign open {blank} --title T --signer bad", REFUSED),
    Bad(f"sign open {{text}} --title T --signer '{SIGNER}'", REFUSED),
    Bad("sign resend NOPE", NOT_FOUND),
    Bad("sign status NOPE", NOT_FOUND),
    Bad("sign view NOPE", USAGE),
    Bad("sign view NOPE --signer 1", NOT_FOUND),
    Bad("sign send-code NOPE --signer abc", USAGE),
    Bad("sign enter-code NOPE 123456 --signer 1", NOT_FOUND),
    Bad("sign decline NOPE --signer 1", USAGE),
    Bad("sign export NOPE -o {out}/e.zip", NOT_FOUND),
    Bad("sign outbox --last abc", USAGE),
    Bad("sign remind --bogus", USAGE),
    Bad("sign expire --bogus", USAGE),
    # staff
    Bad("staff add x --name X --email x@x.fr", USAGE),
    Bad("staff add rep1 --name X --email x@x.fr --role sales_rep", CONFLICT),
    Bad("staff add x2 --name X --email bad --role sales_rep", REFUSED),
    Bad("staff add x3 --name X --email x3@x.fr --role 'bad role!'", REFUSED),
    Bad("staff grant ghost admin", NOT_FOUND),
    Bad("staff grant rep1 'bad role!'", REFUSED),
    Bad("staff team-add", USAGE),
    Bad("staff team-add T --lead ghost", NOT_FOUND),
    Bad("staff list extra", USAGE),
    Bad("staff password", USAGE),
    # steps
    Bad("steps pending --bogus", USAGE),
    Bad("steps approve abc --as x", USAGE),
    Bad("steps approve 15", USAGE),
    Bad("steps approve 999 --as rep1", NOT_FOUND),
    Bad("steps reject 999 --as rep1 --reason x", NOT_FOUND),
    Bad("steps revoke 999 --as rep1", NOT_FOUND),
    Bad("steps delegate 999 --as rep1", USAGE),
    Bad("steps delegate 999 --as rep1 --to rep1", NOT_FOUND),
    Bad("steps request-document 999 --as rep1 --document x", USAGE),
    # vat
    Bad("vat check", USAGE),
    Bad("vat check 123", REFUSED),
    # Outages: the database, S3, SMTP, Chorus Pro, VIES cannot be reached.
    Bad("customers list", OUTAGE, env=NO_DB),
    Bad("customers show C000001", OUTAGE, env=NO_DB),
    Bad("customers add --sales-rep rep1 --last-name X", OUTAGE, env=NO_DB),
    Bad("files show 1", OUTAGE, env=NO_DB),
    Bad("invoices list", OUTAGE, env=NO_DB),
    Bad("steps pending", OUTAGE, env=NO_DB),
    Bad("staff list", OUTAGE, env=NO_DB),
    Bad("audit show", OUTAGE, env=NO_DB),
    Bad("tasks", OUTAGE, env=NO_DB),
    Bad("db upgrade", OUTAGE, env=NO_DB),
    Bad("--lang en customers list", OUTAGE, env=NO_DB),
    Bad("archive verify", OUTAGE, env=NO_S3),
    Bad("invoices issue --customer C000001 --line x|1|10", OUTAGE, env=NO_S3),
    Bad("sign resend {session}", OUTAGE, env=NO_SMTP),
    Bad("chorus buyer 73282932000074", OUTAGE, env=NO_CHORUS),
    Bad("vat check DE136695976", OUTAGE, env=NO_VIES),
]


@dataclass
class Home:
    root: Path
    url: str
    engine: Engine
    paths: dict[str, str]
    tables: list[str]  # every table of the migrated schema


@contextlib.contextmanager
def variables(values: dict[str, str]) -> Iterator[None]:
    """Set `LIASSE_*` variables for one command; the CLI forgets what it built from them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    environment.clear_caches()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        environment.clear_caches()


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main.run(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    root = tmp_path_factory.mktemp("fuzz-home")
    url = f"sqlite:///{(root / 'liasse.db').resolve()}"
    clean = {name: value for name, value in os.environ.items() if name.startswith("LIASSE_")}
    for name in clean:
        del os.environ[name]
    os.environ.update({"LIASSE_HOME": str(root), "LIASSE_DATABASE_URL": url,
                       "LIASSE_LANGUAGE": "fr", "COLUMNS": "200"})
    migrate.upgrade(url)
    environment.clear_caches()
    files = root / "inputs"
    files.mkdir()
    blank = files / "blank.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with blank.open("wb") as handle:
        writer.write(handle)
    (files / "text.pdf").write_text("not a PDF\n", encoding="utf-8")
    (files / "bad.yaml").write_text("customer: C000001\nlines: []\n", encoding="utf-8")
    (files / "invoice.yaml").write_text(
        "customer: C000001\nlines:\n  - {description: x, quantity: 1, unit_price: 10}\n",
        encoding="utf-8")
    paths = {"blank": str(blank), "text": str(files / "text.pdf"),
             "missing": str(files / "missing.pdf"), "out": str(files),
             "yaml": str(files / "bad.yaml"), "invoice": str(files / "invoice.yaml")}
    for line in ("staff add rep1 --name Rep --email rep1@liasse.example --role sales_rep",
                 "customers add --sales-rep rep1 --last-name Dupont --street '1 RUE X' "
                 "--postcode 75001 --city PARIS --email c@client.example"):
        code, _, err = run(shlex.split(line))
        assert code == 0, (line, err)
    with variables(NO_SMTP):  # a session whose invitation is still to be mailed
        code, out, err = run(["sign", "open", str(blank), "--title", "T", "--signer", SIGNER])
    assert code == 0, err
    paths["session"] = out.split("Session ouverte : ")[1].split()[0]
    engine = create_engine(url)
    yield Home(root, url, engine, paths, inspect(engine).get_table_names())
    engine.dispose()
    environment.clear_caches()
    for name in ("LIASSE_HOME", "LIASSE_DATABASE_URL", "LIASSE_LANGUAGE"):
        os.environ.pop(name, None)
    os.environ.update(clean)


def snapshot(home: Home) -> tuple[dict[str, int], list[str]]:
    """Rows of every table of the schema, and the files of the blob store, archive and outbox."""
    with home.engine.connect() as conn:
        rows = {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in home.tables}
    files = sorted(str(path.relative_to(home.root))
                   for folder in ("blobs", "archive", "outbox")
                   for path in (home.root / folder).rglob("*") if path.is_file())
    return rows, files


def test_the_table_covers_every_command() -> None:
    """At least 100 rows, and every command of `liasse --help` (and of each group) has one."""
    import typer
    from typer import _click as typer_click

    assert len(BAD) >= 100
    tried = {tuple(shlex.split(bad.line)[:2]) for bad in BAD} | {
        tuple(shlex.split(bad.line)[:1]) for bad in BAD}
    command = typer.main.get_command(main.root)
    ctx = typer_click.Context(command)
    missing = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        names = sub.list_commands(typer_click.Context(sub)) if hasattr(
            sub, "list_commands") else []
        if not names:  # a command of its own (`liasse verify`, `liasse config`)
            missing += [name] if (name,) not in tried else []
        else:
            missing += [f"{name} {n}" for n in names if (name, n) not in tried]
    assert not missing


def _cases() -> list[Any]:
    return [pytest.param(bad, id=f"{bad.line or '(none)'}{' +env' if bad.env else ''}",
                         marks=[pytest.mark.xfail(strict=True, reason=bad.known)]
                         if bad.known else [])
            for bad in BAD]


@pytest.mark.parametrize("bad", _cases())
def test_bad_invocation(home: Home, bad: Bad) -> None:
    before = snapshot(home)
    with variables(bad.env):
        code, out, err = run(bad.args(home.paths))
    assert "Traceback" not in out + err, err
    assert code == bad.code, (code, err)
    if bad.help_text:
        assert "Usage" in out + err
    elif not (bad.quiet and not err):
        assert err.strip() and len(err.strip().splitlines()) == 1, err
    assert snapshot(home) == before, "a refused command wrote something"


def test_help_lists_the_exit_codes(home: Home) -> None:
    code, out, _ = run(["--help"])
    assert code == 0
    for exit_code in ExitCode:
        assert f" {int(exit_code)}  " in out, exit_code
    code, out, _ = run(["--lang", "en", "--help"])
    assert "Exit codes:" in out and "business refusal" in out


def test_readme_documents_every_exit_code() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Exit codes"):]
    section = section[:section.index("\n## ", 4)] if "\n## " in section[4:] else section
    documented = {int(line.split("|")[1]) for line in section.splitlines()
                  if line.startswith("| ") and line.split("|")[1].strip().isdigit()}
    assert documented == {int(code) for code in ExitCode}


def test_every_liasse_error_exits_with_a_documented_code() -> None:
    """Each `LiasseError` class of the code base resolves to a code of the contract, and a
    business refusal never shares usage's 2."""
    import importlib
    import pkgutil

    from dossiers.errors import LiasseError, ValidationError
    from liasse.cli.exit_codes import exit_code_for

    for package in ("dossiers", "connectors", "signing", "application", "documents"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if info.name.endswith(("errors", "base", "store", "control")) or ".errors" in (
                    info.name):
                with contextlib.suppress(ImportError):
                    importlib.import_module(info.name)
    pending: list[type[Any]] = [LiasseError]
    seen = 0
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        error = cls.__new__(cls)
        code = exit_code_for(error)
        assert code is not ExitCode.INTERNAL, cls
        if issubclass(cls, ValidationError):  # a refusal (maybe a more precise one)
            assert code not in {ExitCode.USAGE, ExitCode.FAILURE}, cls
        seen += 1
    assert seen > 30
