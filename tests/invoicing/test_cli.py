"""`liasse invoices ...` in-process (CliRunner) on both databases, plus one real subprocess for
the one-line error and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from application.schema import migrate
from dossiers.customers.models import CustomerType
from dossiers.errors import ValidationError

INVOICE = {
    "customer": None,
    "issue_date": "2026-03-02",
    "po_number": "EJ-42",
    "lines": [
        {"description": "Abonnement Revue", "quantity": 2, "unit_price": "45.50",
         "vat_rate": "2.1", "kind": "subscription", "unit_code": "ANN"},
        {"description": "Livre", "quantity": 1, "unit_price": "24.90", "vat_rate": "5.5"},
    ],
}


def test_issue_show_list_credit_render_check(cli, make_customer, tmp_path: Path) -> None:
    c = make_customer(email="compta@client.example")
    file = tmp_path / "invoice.yaml"
    file.write_text(yaml.safe_dump({**INVOICE, "customer": c.number}), encoding="utf-8")
    issued = cli("invoices", "issue", str(file))
    assert issued.exit_code == 0, issued.output
    assert "F2026-00001" in issued.output and "TTC 119.18" in issued.text
    by_options = cli("invoices", "issue", "--customer", c.number, "--date", "2026-03-03",
                     "--line", "Formation|1|100|S|20")
    assert "F2026-00002" in by_options.output and "TTC 120.00" in by_options.text, (
        by_options.output)
    listing = cli("invoices", "list", "--customer", c.number)
    assert listing.output.index("F2026-00002") < listing.output.index("F2026-00001")
    credited = cli("invoices", "credit", "F2026-00001", "--lines", "1:1", "--reason", "Doublon")
    assert "AV2026-00001" in credited.output and "HT 45.50" in credited.text, credited.output
    over = cli("invoices", "credit", "F2026-00001", "--amount", "100", "--reason", "Trop")
    assert isinstance(over.exception, ValidationError) and "il ne reste que" in str(
        over.exception)
    shown = cli("invoices", "show", "F2026-00001")
    assert "AV2026-00001" in shown.output and "Abonnement Revue" in shown.text, shown.output
    pdf = tmp_path / "f1.pdf"
    assert cli("invoices", "render", "F2026-00001", "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    checked = cli("invoices", "check", str(pdf))
    assert checked.exit_code == 0 and "OK" in checked.output, checked.output


def test_subprocess_error_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LIASSE_HOME": str(tmp_path), "LIASSE_DATABASE_URL": "",
           "LIASSE_LANGUAGE": "fr", "COLUMNS": "300"}
    migrate.upgrade(f"sqlite:///{(tmp_path / 'liasse.db').resolve()}")
    done = subprocess.run(
        [sys.executable, "-m", "liasse.cli.main", "invoices", "issue", "--customer", "C1",
         "--line", "Revue|-1|10"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 10, done.stderr  # ExitCode.REFUSED
    assert "Quantité -1 refusée" in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_example_file_is_a_valid_invoice(cli, make_customer, tmp_path: Path) -> None:
    payer = make_customer(type=CustomerType.THIRD_PARTY_PAYER, email="f@payer.example")
    ben = make_customer(type=CustomerType.BENEFICIARY, payer_id=payer.id)
    text = cli("invoices", "example").output
    data = yaml.safe_load(text)
    data.update(customer=payer.number, issue_date="2026-03-02")
    data["lines"][0]["beneficiary"] = ben.number
    file = tmp_path / "example.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    issued = cli("invoices", "issue", str(file))
    assert issued.exit_code == 0, issued.exception
    shown = cli("invoices", "show", "F2026-00001", "--json")
    as_json = json.loads(shown.output)
    assert as_json["po_number"] == "EJ-2026-0042" and len(as_json["lines"]) == 3
    assert as_json["lines"][0]["beneficiary_id"] == ben.id
