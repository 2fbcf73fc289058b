"""Issue 14: a signed contract stays verifiable for ten years.

A contract is signed through the real session (codes from the fake Twilio, one-time certificates
that expire an hour later, the seal last), then judged as of a moment ten years ahead: no sleep
and no patched clock, `verify_pdf(now=...)` and `liasse verify --at` take the moment explicitly.
Each signature must be judged at the time its timestamp proves (and say so), at B-LT and at
B-LTA (with a re-timestamp); `pdfsig` (poppler, independent of pyHanko) checks the same file.
Also: a digest mismatch is reported as broken integrity, never as an untrusted chain, and pyHanko's
logged tracebacks stay out of the output.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from typer.testing import CliRunner

from liasse.cli.main import root
from signing.certificates import load_pem_certs
from signing.pades.archive_timestamp import ArchiveChainBroken, extend_archive_timestamp
from signing.pades.profile import PadesLevel
from signing.pades.signer_signature import sign_field
from signing.pki.signing_ca import SignerIdentity
from signing.pki.signing_pki import SigningPki, build_signing_pki
from signing.settings import SigningSettings
from signing.validation.verify import verify_pdf

from .conftest import make_signing_pki
from .test_contract_flow import CUSTOMER, CUSTOMER_BROWSER, MANAGER, MANAGER_BROWSER, sign_as

TEN_YEARS = timedelta(days=3653)


def sign_contract(make_service, mails, fake_twilio, contract: bytes, pki: SigningPki) -> bytes:
    """The product path: open the session, customer then manager sign by SMS code, seal last."""
    service = make_service(pki=pki)
    reference = service.open("Contrat d'abonnement 2026", contract, [CUSTOMER, MANAGER])
    sign_as(service, mails, fake_twilio, CUSTOMER, "+33612345678", CUSTOMER_BROWSER)
    sign_as(service, mails, fake_twilio, MANAGER, "+33798765432", MANAGER_BROWSER)
    return service.get(reference).pdf


def assert_judged_at_their_timestamps(report, moment: datetime, signed_by: datetime) -> None:
    """Valid as of `moment`, yet every certificate judged long before (<= `signed_by`): a
    signature at its timestamp's time, a document timestamp at the next one's (its own if it
    is the newest)."""
    assert report.ok, [(s.field_name, s.problems) for s in report.signatures]
    assert report.checked_at == moment
    archive = [s for s in report.signatures if s.kind == "document-timestamp"]
    for sig in report.signatures:
        assert sig.timestamp is not None and sig.timestamp_valid
        assert sig.revocation_info, sig.field_name  # the chain's revocation data is in the DSS
        assert sig.validated_at is not None and sig.validated_at <= signed_by < moment
        if sig.kind != "document-timestamp":
            assert (sig.validated_at, sig.time_basis) == (sig.timestamp, "signature-timestamp")
        elif sig is archive[-1]:
            assert (sig.validated_at, sig.time_basis) == (sig.timestamp, "own-timestamp")
        else:
            proof = archive[archive.index(sig) + 1].timestamp
            assert (sig.validated_at, sig.time_basis) == (proof, "document-timestamp")


def test_b_lt_contract_verifies_ten_years_later(
    make_service, mails, fake_twilio, contract, test_pki, clock, tmp_path, monkeypatch
) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT)
    pdf = sign_contract(make_service, mails, fake_twilio, contract, pki)
    signed_by = datetime.now(UTC)

    for later in (timedelta(hours=2), TEN_YEARS):  # the one-time certificates died after 1 h
        moment = clock.now + later
        report = verify_pdf(pdf, pki.trust_roots, now=moment)
        assert [s.kind for s in report.signatures] == ["signature", "signature", "seal"]
        assert_judged_at_their_timestamps(report, moment, signed_by)
        # nothing after B-LT proves a later time: each signature timestamp is judged at its own
        # time, against a TSA certificate still valid at `moment`
        assert {s.timestamp_time_basis for s in report.signatures} == {"own-timestamp"}

    # `liasse verify --at` prints the verdict and the moment each certificate was judged at
    path = tmp_path / "contrat.pdf"
    path.write_bytes(pdf)
    monkeypatch.setenv("LIASSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIASSE_TRUST_ROOTS", str(test_pki.cert_path("root")))
    at = (clock.now + TEN_YEARS).strftime("%Y-%m-%dT%H:%M:%S")
    result = CliRunner().invoke(root, ["--lang", "en", "verify", "--at", at, str(path)])
    assert result.exit_code == 0, result.output
    assert f"Verification as of {at.replace('T', ' ')} UTC" in result.output
    signed_at = report.signatures[0].timestamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"Validated as of : {signed_at} (time proven by the signature timestamp)" in (
        " ".join(result.output.split())
    )
    assert "All signatures are valid." in result.output


def test_b_lta_contract_retimestamped_verifies_ten_years_later(
    make_service, mails, fake_twilio, contract, test_pki, clock
) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT, seal_level=PadesLevel.B_LTA)
    pdf = sign_contract(make_service, mails, fake_twilio, contract, pki)
    # the job run before the TSA certificate ages out
    renewed = extend_archive_timestamp(pdf, pki.profile(PadesLevel.B_LTA))
    signed_by = datetime.now(UTC)
    assert renewed.startswith(pdf)  # an incremental update: every signature stays as it was

    moment = clock.now + TEN_YEARS
    for document in (pdf, renewed):
        report = verify_pdf(document, pki.trust_roots, now=moment)
        assert_judged_at_their_timestamps(report, moment, signed_by)
        *older, newest = report.signatures
        assert newest.kind == "document-timestamp" and newest.coverage == "entire-file"
        # every timestamp but the newest is judged at the time the next document timestamp proves
        assert {s.timestamp_time_basis for s in older} == {"document-timestamp"}
    kinds = [s.kind for s in report.signatures]
    assert kinds == ["signature", "signature", "seal", "document-timestamp", "document-timestamp"]


def test_the_demo_pki_signs_b_lt_offline_with_its_own_crls(tmp_path: Path) -> None:
    """No server anywhere: the demo's CAs sign their CRLs themselves and they reach the DSS."""
    pki = build_signing_pki(SigningSettings(home=tmp_path / "home"))
    assert pki.level is PadesLevel.B_LT  # the default level
    identity = SignerIdentity("Claire Dubois", "claire@client.example", "+33612345678")
    now = datetime.now(UTC)
    credentials = pki.signing_ca.issue_one_time(identity, now)
    prepared = _prepared_contract()
    signed = sign_field(prepared, "Signature1", credentials.signer, pki.profile(), signer_name="A")
    sealed = pki.company_seal().seal(signed)
    signed_by = datetime.now(UTC)

    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(sealed)))
    issuers = {
        asn1_crl.CertificateList.load(ref.get_object().data).issuer.native["common_name"]
        for ref in dss.crls
    }
    assert issuers == {"Liasse (démo) - AC de signature", "Liasse (démo) - racine de démonstration"}
    assert (tmp_path / "home" / "pki" / "signing-ca.crl").is_file()  # published where certs say
    report = verify_pdf(sealed, pki.trust_roots, now=now + TEN_YEARS)
    assert_judged_at_their_timestamps(report, now + TEN_YEARS, signed_by)

    # the demo TSA certificate lasts 15 years: past that, the newest timestamp cannot be judged
    # and the report says the document should have been re-timestamped
    too_late = verify_pdf(sealed, pki.trust_roots, now=now + timedelta(days=365 * 16))
    assert not too_late.ok
    assert all(
        "re-timestamped" in " ".join(s.problems) or "ré-horodaté" in " ".join(s.problems)
        for s in too_late.signatures
    )


def _prepared_contract() -> bytes:
    from signing.sessions.prepare import SignerSpec, prepare_contract

    from .conftest import contract_pdf

    spec = SignerSpec("A", "a@x.example", "0612345678", "client")
    return prepare_contract(contract_pdf(), "Contrat", "ref", [spec], datetime.now(UTC), "t").pdf


def test_untimestamped_signature_is_judged_now_and_says_so(signing_pki, clock) -> None:
    identity = SignerIdentity("A", "a@x.example", "+33612345678")
    credentials = signing_pki.signing_ca.issue_one_time(identity, clock.now)
    pdf = sign_field(
        _prepared_contract(),
        "Signature1",
        credentials.signer,
        signing_pki.profile(PadesLevel.B_B),
        signer_name="A",
    )
    fresh = verify_pdf(pdf, signing_pki.trust_roots, now=clock.now + timedelta(minutes=5))
    assert fresh.ok
    assert fresh.signatures[0].time_basis == "now"
    assert fresh.signatures[0].validated_at == clock.now + timedelta(minutes=5)
    # nothing proves it signed while the one-time certificate was alive: judged now, it fails,
    # and the reason is the certificate's validity period, not an "untrusted chain"
    later = verify_pdf(pdf, signing_pki.trust_roots, now=clock.now + timedelta(hours=2))
    [problem] = later.signatures[0].problems
    assert "validité" in problem or "validity period" in problem


def test_retimestamping_too_late_is_refused(test_pki, contract) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT)
    sealed = pki.company_seal().seal(contract)
    stranger = make_signing_pki(test_pki, level=PadesLevel.B_LT)
    # a stand-in for "too late": the TSA chain no longer leads anywhere trusted
    stranger.trust_roots = load_pem_certs(test_pki.cert_path("seal"))
    with pytest.raises(ArchiveChainBroken):
        extend_archive_timestamp(sealed, stranger.profile(PadesLevel.B_LTA))


# ------------------------------------------------------------------------------------------------
# independent check: poppler's pdfsig (NSS), not pyHanko


def pdfsig_blocks(path: Path) -> list[str]:
    executable = shutil.which("pdfsig")
    if executable is None:
        pytest.fail("pdfsig missing: run scripts/install-system-deps.sh (package poppler-utils)")
    run = subprocess.run(
        [executable, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return re.split(r"^Signature #\d+:$", run.stdout, flags=re.MULTILINE)[1:]


@pytest.mark.parametrize("seal_level", [PadesLevel.B_LT, PadesLevel.B_LTA])
def test_pdfsig_finds_every_signature_valid_and_the_whole_file_signed(
    make_service, mails, fake_twilio, contract, test_pki, tmp_path, seal_level
) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT, seal_level=seal_level)
    pdf = sign_contract(make_service, mails, fake_twilio, contract, pki)
    if seal_level is PadesLevel.B_LTA:
        pdf = extend_archive_timestamp(pdf, pki.profile(PadesLevel.B_LTA))
    path = tmp_path / "contrat.pdf"
    path.write_bytes(pdf)
    blocks = pdfsig_blocks(path)
    expected = 3 if seal_level is PadesLevel.B_LT else 5
    assert len(blocks) == expected, blocks
    for block in blocks:
        if "ETSI.CAdES.detached" in block:  # signers and seal
            assert "Signature Validation: Signature is Valid." in block, block
        else:  # document timestamps: poppler 22 does not verify RFC 3161 tokens, only lists them
            assert "ETSI.RFC3161" in block or "Signature Type: unknown" in block, block
    # the last signature or timestamp covers every byte: no unsigned revision trails it
    assert "Total document signed" in blocks[-1], blocks[-1]
    ranges = re.search(r"Signed Ranges: \[(\d+) - (\d+)\], \[(\d+) - (\d+)\]", blocks[-1])
    assert ranges and int(ranges[1]) == 0 and int(ranges[4]) == len(pdf)


# ------------------------------------------------------------------------------------------------
# reasons and silence


def test_digest_mismatch_is_reported_as_broken_integrity_without_tracebacks(
    make_service, mails, fake_twilio, contract, test_pki, tmp_path, monkeypatch, caplog
) -> None:
    pki = make_signing_pki(test_pki, level=PadesLevel.B_LT)
    pdf = sign_contract(make_service, mails, fake_twilio, contract, pki)
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream\n") + 20] ^= 0x01  # inside the contract's first content stream

    caplog.set_level(logging.DEBUG)
    caplog.clear()  # only what verification logs from here on
    report = verify_pdf(bytes(tampered), pki.trust_roots)
    assert not report.ok
    for sig in report.signatures:
        assert not sig.intact
        assert any("integrity broken" in p or "intégrité rompue" in p for p in sig.problems)
        assert not any("untrusted" in p or "non reconnue" in p for p in sig.problems)

    # an incremental edit after signing: pyHanko logs three warnings with tracebacks
    edited = _rotate_first_page(pdf)
    report = verify_pdf(edited, pki.trust_roots)
    assert not report.ok and report.log  # the details are kept in the report...
    noisy = [r for r in caplog.records if r.name.startswith(("pyhanko", "pypdf"))]
    assert noisy == []  # ...and never reach logging (stderr in the CLI)

    monkeypatch.setenv("LIASSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIASSE_TRUST_ROOTS", str(test_pki.cert_path("root")))
    runner = CliRunner()
    for name, data in (("altere.pdf", bytes(tampered)), ("modifie.pdf", edited)):
        (tmp_path / name).write_bytes(data)
        result = runner.invoke(root, ["--lang", "en", "verify", str(tmp_path / name)])
        assert result.exit_code != 0
        assert "Traceback" not in result.output and "WARNING" not in result.output
    assert (
        "integrity broken"
        in runner.invoke(root, ["--lang", "en", "verify", str(tmp_path / "altere.pdf")]).output
    )


def _rotate_first_page(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
