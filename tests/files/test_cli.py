"""`liasse files ...` and `liasse steps ...` end to end through the real entry point.

Errors must come out as one line with a non-zero exit code and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.customers.models import Customer, CustomerType
from dossiers.db import transaction
from dossiers.errors import ExitCode
from dossiers.files.models import CustomerFile, FileDocument, FileStep
from dossiers.files.states import FileState, StepState
from dossiers.staff.models import StaffUser
from liasse.cli import environment
from tests.conftest import CliRun

from . import pdfs
from .helpers import CIRCUITS_DIR, issued_invoice, seed

Result = tuple[int, str, str]


@pytest.fixture
def cli(cli: CliRun, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """The shared `cli` fixture with the test circuits, through the console script's path;
    returns (code, stdout, stderr)."""
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    for name in ("default", "dispute"):
        (circuits / f"{name}.yaml").write_text((CIRCUITS_DIR / f"{name}.yaml").read_text())
    monkeypatch.setenv("LIASSE_CIRCUITS_DIR", str(circuits))
    # Rich wraps at 80 columns when not on a terminal; the entry point's one-line promise is
    # about the message, so let long lines through unwrapped here.
    monkeypatch.setattr(environment.err_console, "soft_wrap", True)
    monkeypatch.setattr(environment.console, "soft_wrap", True)
    monkeypatch.setattr(environment.console, "_width", 240)  # tables: room for every column
    environment.clear_caches()

    def run(*args: str) -> Result:
        result = cli.run(*args)
        return result.exit_code, result.stdout, result.stderr

    yield run
    environment.session_factory().kw["bind"].dispose()


def counts(db: sessionmaker[Session]) -> tuple[int, ...]:
    with db() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                     for model in (CustomerFile, FileStep, FileDocument, AuditEvent))


def one_line_error(result: Result, code: int, needle: str) -> None:
    assert result[0] == code, result
    lines = result[2].strip().splitlines()
    assert len(lines) == 1, result[2]
    assert lines[0].startswith("Erreur :") and needle in lines[0], lines[0]


def test_start_show_pending_approve_reject(db: sessionmaker[Session], cli) -> None:
    seed(db)
    code, out, _ = cli("files", "start", "--customer", "C000001", "--as", "admin")
    assert code == 0 and "Dossier 1 ouvert (circuit default v1)" in out
    code, out, _ = cli("steps", "pending", "--role", "order_desk")
    assert code == 0 and "order_form" in out and "1 étape(s) en attente" in out
    assert "0 étape(s)" in cli("steps", "pending", "--role", "billing")[1]
    code, out, _ = cli("steps", "approve", "1", "--as", "olga", "--reason", "bon complet")
    assert code == 0 and "étape en cours supporting_documents" in out
    before = counts(db)
    one_line_error(cli("steps", "reject", "2", "--as", "dora"), 10, "motif est obligatoire")
    one_line_error(cli("steps", "reject", "2", "--as", "dora", "--reason", "  "), 10, "motif")
    assert counts(db) == before
    code, out, _ = cli("steps", "reject", "2", "--as", "dora", "--reason", "Kbis manquant")
    assert code == 0 and "étape en cours order_form" in out
    code, out, _ = cli("files", "show", "1")
    assert code == 0
    assert "Kbis manquant" in out and "rejected" in out and "in_progress" in out
    with db() as session:
        steps = session.scalars(select(FileStep).order_by(FileStep.seq)).all()
        assert [s.state for s in steps] == [StepState.APPROVED, StepState.REJECTED,
                                           StepState.WAITING]
        assert steps[1].decided_by == "dora"


def test_cli_errors_are_one_line_and_write_nothing(db: sessionmaker[Session], cli) -> None:
    seed(db)
    before = counts(db)
    one_line_error(cli("files", "start", "--customer", "C999999"), 3, "C999999")
    one_line_error(cli("files", "start", "--customer", "C000001", "--circuit", "nope"), 3,
                   "Circuit « nope » introuvable")
    one_line_error(cli("files", "show", "42"), 3, "Dossier 42 introuvable")
    assert counts(db) == before
    assert cli("files", "start", "--customer", "C000001")[0] == 0
    before = counts(db)
    one_line_error(cli("steps", "approve", "1", "--as", "dora"), 6, "n'a pas le rôle")
    one_line_error(cli("steps", "approve", "1", "--as", "nobody"), 3, "nobody")
    assert cli("steps", "approve", "1", "--as", "olga")[0] == 0
    one_line_error(cli("steps", "approve", "1", "--as", "oscar"), 4, "déjà été traitée")
    one_line_error(cli("steps", "request-document", "2", "--as", "dora", "--document", "Kbis",
                       "--due", "demain"), 10, "Date limite invalide")


def test_invalid_circuit_yaml_is_one_line(db: sessionmaker[Session], cli, tmp_path: Path) -> None:
    seed(db)
    data = yaml.safe_load((CIRCUITS_DIR / "default.yaml").read_text())
    data["name"] = "broken"
    data["steps"][3]["on_approve"] = "signatur"
    (tmp_path / "circuits" / "broken.yaml").write_text(yaml.safe_dump(data))
    before = counts(db)
    one_line_error(cli("files", "start", "--customer", "C000001", "--circuit", "broken"), 10,
                   "étape « contract_review » : transition vers une étape inconnue « signatur »")
    assert counts(db) == before


def test_attach_checks_content(db: sessionmaker[Session], cli, tmp_path: Path) -> None:
    seed(db)
    assert cli("files", "start", "--customer", "C000001")[0] == 0
    hostile = tmp_path / "bon.pdf"
    hostile.write_bytes(pdfs.pdf(pdfs.with_open_action_js))
    before = counts(db)
    one_line_error(cli("files", "attach", "1", str(hostile), "--kind", "order_form"), 10,
                   "contenu actif")
    assert counts(db) == before
    clean = tmp_path / "kbis.pdf"
    clean.write_bytes(pdfs.png())  # a PNG named .pdf: accepted, recorded as what it is
    code, out, _ = cli("files", "attach", "1", str(clean), "--kind", "supporting_documents")
    assert code == 0 and "image/png" in out
    assert counts(db)[2] == 1
    assert "kbis.pdf" in cli("files", "show", "1")[1]


def test_delegate_request_revoke_cancel_dispute(db: sessionmaker[Session], cli) -> None:
    issued_invoice(db, seed(db))
    cli("files", "start", "--customer", "C000001")
    assert cli("steps", "delegate", "1", "--as", "olga", "--to", "sam")[0] == 0
    assert "sam" in cli("steps", "pending", "--assignee", "sam")[1]
    assert cli("steps", "request-document", "1", "--as", "sam", "--document", "Kbis",
               "--due", "2099-01-31")[0] == 0
    with db() as session:
        assert session.scalars(select(CustomerFile)).one().state == FileState.WAITING_CUSTOMER
    one_line_error(cli("steps", "approve", "1", "--as", "sam"), 5, "attend le document")
    one_line_error(cli("files", "cancel", "1", "--as", "olga", "--reason", "x"), 6, "annuler")
    assert cli("files", "cancel", "1", "--as", "ops", "--reason", "doublon")[0] == 0
    one_line_error(cli("files", "start", "--customer", "C000001", "--circuit", "dispute"),
                   ExitCode.REFUSED, "facture concernée")
    code, out, _ = cli("files", "start", "--customer", "C000001", "--circuit", "dispute",
                       "--invoice", "F2026-000042", "--reason", "Colis jamais reçu")
    assert code == 0 and "legal_hold" in out
    assert "action automatique « legal_hold » à lancer" in cli("files", "next", "2")[1]
    assert "Dossier terminé : cancelled" in cli("files", "next", "1")[1]


def test_every_dispute_start_follows_the_dispute_rules(db: sessionmaker[Session], cli) -> None:
    """Issue 14 item 3: `files start --circuit dispute` applies `open_dispute`'s rules (one
    place, `dossiers.files.disputes`): an unknown invoice, another customer's invoice, no
    reason and a second dispute on the same invoice are refused with nothing written; a good
    start records `dispute.opened` with the invoice and the reason."""
    issued_invoice(db, seed(db))
    with transaction(db) as session:
        session.add(Customer(number="C000002", type=CustomerType.NORMAL, last_name="Durand",
                             sales_rep_id=session.scalars(select(StaffUser.id)).first()))
    start = ("files", "start", "--circuit", "dispute")
    before = counts(db)
    for args, code, needle in [
        (("--customer", "C000001", "--invoice", "NOPE-999", "--reason", "x"),
         ExitCode.NOT_FOUND, "NOPE-999 introuvable"),
        (("--customer", "C000002", "--invoice", "F2026-000042", "--reason", "x"),
         ExitCode.REFUSED, "celle du client C000001, pas de C000002"),
        (("--customer", "C000001", "--invoice", "F2026-000042"),
         ExitCode.REFUSED, "motif du litige"),
        (("--customer", "C000001", "--invoice", "F2026-000042", "--reason", "  "),
         ExitCode.REFUSED, "motif du litige"),
    ]:
        one_line_error(cli(*start, *args), code, needle)
        assert counts(db) == before, args  # no file, step or event written

    code, out, _ = cli(*start, "--customer", "C000001", "--invoice", "F2026-000042",
                       "--reason", "Colis jamais reçu", "--as", "dina")
    assert code == 0 and "Dossier 1 ouvert" in out
    with db() as session:
        opened = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "dispute.opened")).one()
    assert (opened.subject_id, opened.actor) == ("1", "dina")
    assert opened.data == {"invoice": "F2026-000042", "reason": "Colis jamais reçu"}

    before = counts(db)
    one_line_error(cli(*start, "--customer", "C000001", "--invoice", "F2026-000042",
                       "--reason", "encore"), ExitCode.CONFLICT, "déjà ouvert sur F2026-000042")
    assert counts(db) == before


def test_circuits_command_lists_and_validates(db: sessionmaker[Session], cli,
                                              tmp_path: Path) -> None:
    code, out, _ = cli("files", "circuits")
    assert code == 0 and "order_form → supporting_documents" in out and "nouvelle" in out
    seed(db)
    cli("files", "start", "--customer", "C000001")
    assert "v1" in cli("files", "circuits")[1]
    (tmp_path / "circuits" / "bad.yaml").write_text("name: bad\nlabel: {fr: a, en: b}\nsteps: []\n")
    one_line_error(cli("files", "circuits"), 10, "bad.yaml : champ « steps »")
