"""PAdES signatures against the certomancer PKI: SubFilter, incremental updates, levels B-T,
B-LT and B-LTA, seal on a Factur-X PDF/A-3, one-time certificates, seal credentials."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import BytesIO

import facturx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.facturx.check import check_facturx
from documents.facturx.issue import build_facturx_pdf
from documents.facturx.samples import sample_invoice, xml_only_pdf
from documents.profile import demo_profile
from signing.pades.errors import NotAPdf
from signing.pades.profile import PadesLevel
from signing.pades.seal import seal_pdf
from signing.pades.signer_signature import sign_field
from signing.pki.errors import SealCredentialsError
from signing.pki.seal_credentials import load_seal_signer
from signing.pki.signing_ca import SignerIdentity
from signing.sessions.prepare import SignerSpec, prepare_contract
from signing.validation.verify import verify_pdf

from .conftest import make_signing_pki


def invoice_pdf() -> bytes:
    """A valid Factur-X invoice (the shared sample factory; blank page, real XML)."""
    return xml_only_pdf(sample_invoice("vat_rates"))


def signature_dicts(pdf: bytes) -> list:
    return [s.sig_object for s in PdfFileReader(BytesIO(pdf)).embedded_signatures]


def test_seal_keeps_the_facturx_xml_and_is_an_incremental_update(signing_pki) -> None:
    invoice = invoice_pdf()
    _, xml_before = facturx.get_xml_from_pdf(invoice, check_xsd=False)
    sealed = seal_pdf(invoice, signing_pki.company_seal())
    assert sealed.startswith(invoice)  # incremental: the original bytes are untouched
    filename, xml_after = facturx.get_xml_from_pdf(sealed, check_xsd=False)
    assert filename == "factur-x.xml" and xml_after == xml_before
    [sig] = signature_dicts(sealed)
    assert sig["/SubFilter"] == "/ETSI.CAdES.detached"
    report = verify_pdf(sealed, signing_pki.trust_roots)
    assert report.ok and report.signatures[0].kind == "seal"
    assert report.signatures[0].coverage == "entire-file"
    assert report.signatures[0].timestamp is not None  # B-T by default


def test_a_sealed_en16931_invoice_still_passes_every_facturx_check(signing_pki) -> None:
    invoice = build_facturx_pdf(sample_invoice("vat_rates"), demo_profile())
    sealed = seal_pdf(invoice, signing_pki.company_seal())
    report = check_facturx(sealed)
    assert report.ok, [(f.rule_id, f.message) for f in report.failures]
    assert b"fx:DocumentType" in sealed[len(invoice):]  # the rewritten XMP keeps the prefix


def test_b_lt_embeds_revocation_info_and_b_lta_adds_a_document_timestamp(test_pki) -> None:
    invoice = invoice_pdf()
    lt = make_signing_pki(test_pki, seal_level=PadesLevel.B_LT)
    lt_report = verify_pdf(lt.company_seal().seal(invoice), lt.trust_roots)
    assert lt_report.ok and lt_report.signatures[0].revocation_info
    lta = make_signing_pki(test_pki, seal_level=PadesLevel.B_LTA)
    lta_report = verify_pdf(lta.company_seal().seal(invoice), lta.trust_roots)
    assert lta_report.ok
    assert [s.kind for s in lta_report.signatures] == ["seal", "document-timestamp"]
    assert lta_report.signatures[1].timestamp is not None


def test_untrusted_root_is_reported(signing_pki) -> None:
    sealed = seal_pdf(invoice_pdf(), signing_pki.company_seal())
    report = verify_pdf(sealed, trust_roots=[])
    assert not report.ok and not report.signatures[0].trusted
    assert report.signatures[0].intact


def test_unsigned_pdf_and_garbage(contract, signing_pki) -> None:
    assert not verify_pdf(contract, signing_pki.trust_roots).ok
    assert not verify_pdf(b"not a pdf", signing_pki.trust_roots).ok
    with pytest.raises(NotAPdf):
        seal_pdf(b"not a pdf", signing_pki.company_seal())


def test_one_time_certificate_names_the_signer_and_hashes_the_phone(signing_pki) -> None:
    identity = SignerIdentity("Claire Dubois", "claire@client.example", "+33612345678")
    now = datetime.now(UTC)
    credentials = signing_pki.signing_ca.issue_one_time(identity, now)
    subject = credentials.certificate.subject.native
    assert subject["common_name"] == "Claire Dubois"
    assert subject["email_address"] == "claire@client.example"
    assert subject["serial_number"] == hashlib.sha256(b"+33612345678").hexdigest()
    validity = credentials.certificate["tbs_certificate"]["validity"]
    lifetime = validity["not_after"].native - validity["not_before"].native
    assert lifetime.total_seconds() <= 2 * 3600
    other = signing_pki.signing_ca.issue_one_time(identity, now)
    assert other.certificate.public_key.dump() != credentials.certificate.public_key.dump()


def test_visible_boxes_on_the_contract_last_page_and_evidence_page_before_signing(
    contract, signing_pki
) -> None:
    signers = [
        SignerSpec("A", "a@x.example", "0612345678", "client"),
        SignerSpec("B", "b@x.example", "0798765432", "manager"),
    ]
    prepared = prepare_contract(contract, "Contrat", "ref1", signers, datetime.now(UTC), "t")
    reader = PdfFileReader(BytesIO(prepared.pdf))
    pages = reader.root["/Pages"]["/Count"]
    assert pages == 3  # two contract pages + the evidence page
    last_contract_page = reader.root["/Pages"]["/Kids"][1].get_object()
    rects = sorted(
        [round(float(v)) for v in annot.get_object()["/Rect"]]
        for annot in last_contract_page["/Annots"]
    )
    assert rects == [[50, 60, 210, 120], [230, 60, 390, 120]]
    identity = SignerIdentity("A", "a@x.example", "+33612345678")
    creds = signing_pki.signing_ca.issue_one_time(identity, datetime.now(UTC))
    signed = sign_field(
        prepared.pdf, "Signature1", creds.signer, signing_pki.profile(), signer_name="A"
    )
    assert signed.startswith(prepared.pdf)
    report = verify_pdf(signed, signing_pki.trust_roots)
    assert report.ok and report.evidence_page == 3


def test_seal_from_pkcs12_and_wrong_password(test_pki, tmp_path) -> None:
    key = serialization.load_pem_private_key(test_pki.key_path("seal").read_bytes(), None)
    cert = x509.load_pem_x509_certificate(test_pki.cert_path("seal").read_bytes())
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", key, cert, None, serialization.BestAvailableEncryption(b"s3cret")
        )
    )  # type: ignore[arg-type]
    signer = load_seal_signer(p12, password=b"s3cret")
    assert signer.signing_cert.subject.native["common_name"] == "Liasse Test Seal"
    with pytest.raises(SealCredentialsError):
        load_seal_signer(p12, password=b"wrong")
    with pytest.raises(SealCredentialsError):
        load_seal_signer(tmp_path / "missing.p12")


def test_seal_configured_from_settings_is_loaded_once(test_pki, tmp_path) -> None:
    from pydantic import SecretStr

    from signing.pki.signing_pki import build_signing_pki, verification_roots
    from signing.settings import SigningSettings

    key = serialization.load_pem_private_key(test_pki.key_path("seal").read_bytes(), None)
    cert = x509.load_pem_x509_certificate(test_pki.cert_path("seal").read_bytes())
    p12 = tmp_path / "cachet.pfx"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", key, cert, None, serialization.BestAvailableEncryption(b"pw")
        )
    )  # type: ignore[arg-type]
    settings = SigningSettings(
        home=tmp_path / "home",
        seal_cert=p12,
        seal_password=SecretStr("pw"),
        tsa_url=test_pki.tsa_url,
        trust_roots=test_pki.cert_path("root"),
        signing_ca_cert=test_pki.cert_path("signing-ca"),
        signing_ca_key=test_pki.key_path("signing-ca"),
    )
    pki = build_signing_pki(settings)
    assert build_signing_pki(settings).seal_signer is pki.seal_signer  # loaded once, cached
    assert not (tmp_path / "home" / "pki").exists()  # nothing fell back to the demo PKI
    report = verify_pdf(seal_pdf(invoice_pdf(), pki.company_seal()), pki.trust_roots)
    assert report.ok and report.signatures[0].signer == "Liasse Test Seal"
    anchors = {c.subject.human_friendly for c in verification_roots(settings)}
    assert any("Liasse Signing CA" in a for a in anchors)
    assert any("Liasse Test Root" in a for a in anchors)
