"""`liasse facturx check|samples` and the company profile loader."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from documents.errors import DocumentError
from documents.facturx.cii import cii_xml_bytes
from documents.facturx.issue import FacturXDocument, embed_facturx
from documents.facturx.mentions import with_legal_notes
from documents.facturx.samples import sample_invoice
from documents.profile import current_profile, demo_profile, load_profile
from dossiers.errors import ValidationError
from liasse.cli.main import root

runner = CliRunner()


def test_check_accepts_a_valid_invoice(tmp_path: Path, built: dict[str, FacturXDocument]) -> None:
    path = tmp_path / "ok.pdf"
    path.write_bytes(built["public"].pdf)
    result = runner.invoke(root, ["facturx", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "BR-FR" in result.output


def test_check_rejects_a_tampered_invoice(
    tmp_path: Path, built: dict[str, FacturXDocument]
) -> None:
    # A supplier's file: a valid-looking PDF whose embedded XML has a wrong amount due.
    invoice = with_legal_notes(sample_invoice("exempt"), demo_profile())
    wrong = replace(invoice, totals=replace(invoice.totals, due_payable=Decimal("1.00")))
    path = tmp_path / "bad.pdf"
    path.write_bytes(embed_facturx(built["exempt"].pdf, cii_xml_bytes(wrong), wrong))
    result = runner.invoke(root, ["facturx", "check", str(path)])
    assert result.exit_code == 10  # ExitCode.REFUSED
    assert "BR-CO-16" in result.output
    as_json = runner.invoke(root, ["facturx", "check", "--json", str(path)])
    assert as_json.exit_code == 10
    report = json.loads(as_json.output)
    assert report["ok"] is False
    assert "BR-CO-16" in {f["rule_id"] for f in report["failures"]}


def test_check_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(root, ["facturx", "check", str(tmp_path / "missing.pdf")])
    assert isinstance(result.exception, DocumentError)
    assert "missing.pdf" in str(result.exception)


def test_demo_profile_mentions() -> None:
    profile = demo_profile()
    assert profile.legal_mention == "SAS au capital de 50\u202f000 € – RCS Lyon 401234562"
    assert profile.logo_data_uri().startswith("data:image/svg+xml;base64,")


def test_invalid_profile_is_refused(tmp_path: Path) -> None:
    source = (Path(__file__).parents[2] / "documents/profiles/demo.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(source.replace('siren: "401234562"', 'siren: "401234563"'))
    with pytest.raises(ValidationError, match="Profil société invalide"):
        load_profile(bad)
    with pytest.raises(ValidationError, match="illisible"):
        load_profile(tmp_path / "none.yaml")


def test_profile_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (Path(__file__).parents[2] / "documents/profiles/demo.yaml").read_text()
    custom = tmp_path / "acme.yaml"
    custom.write_text(source.replace("name: Éditions Liasse", "name: ACME Presse").replace(
        "logo_path: logo.svg\n", ""))
    monkeypatch.setenv("LIASSE_COMPANY_PROFILE", str(custom))
    assert current_profile().name == "ACME Presse"
    assert current_profile().logo_data_uri() is None
