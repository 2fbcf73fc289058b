"""CAdES detached seals over bytes, against the certomancer test PKI (its TSA over HTTP)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import cms

from signing.cades import seal_bytes, verify_detached
from signing.pades.profile import PadesLevel, PadesProfile
from signing.pades.seal import CompanySeal
from signing.pki import demo_pki
from signing.pki.seal_credentials import load_seal_signer
from signing.pki.signing_pki import SigningPki

DATA = b'{"format":"liasse.audit_log_segment/1"}\n{"seq":1}\n'


def test_sealed_bytes_verify_with_signing_time_and_timestamp(signing_pki: SigningPki) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    signature = seal_bytes(DATA, signing_pki.company_seal())

    signed_data = cms.ContentInfo.load(signature)["content"]
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    report = verify_detached(DATA, signature, signing_pki.trust_roots)
    assert report.ok, report.problems
    assert report.problems == ()
    assert report.signer and "seal" in report.signer.lower()
    assert report.signing_time is not None and report.signing_time >= before
    assert report.timestamp is not None and report.timestamp >= before


def test_one_flipped_byte_fails(signing_pki: SigningPki) -> None:
    signature = seal_bytes(DATA, signing_pki.company_seal())
    tampered = bytearray(DATA)
    tampered[5] ^= 0x01
    report = verify_detached(bytes(tampered), signature, signing_pki.trust_roots)
    assert not report.ok
    assert any("digest" in p or "empreinte" in p for p in report.problems)


def test_seal_from_a_certificate_outside_the_trust_roots_fails(
    signing_pki: SigningPki, tmp_path: Path
) -> None:
    files = demo_pki.ensure_demo_pki(tmp_path / "other")
    stranger = CompanySeal(
        load_seal_signer(files.path(demo_pki.SEAL), files.path(demo_pki.SEAL_KEY)),
        PadesProfile(level=PadesLevel.B_B), "Stranger",
    )
    signature = seal_bytes(DATA, stranger)
    report = verify_detached(DATA, signature, signing_pki.trust_roots)
    assert not report.ok
    assert report.timestamp is None  # B-B: no TSA on that profile
    assert any("untrusted" in p or "non reconnue" in p for p in report.problems)


def test_garbage_signature_is_a_report_not_an_exception(signing_pki: SigningPki) -> None:
    signature = seal_bytes(DATA, signing_pki.company_seal())
    for blob in (b"not a cms", signature[: len(signature) // 2]):
        report = verify_detached(DATA, blob, signing_pki.trust_roots)
        assert not report.ok and report.problems


def test_callable_from_inside_a_running_event_loop(signing_pki: SigningPki) -> None:
    async def from_async_code() -> bool:
        signature = seal_bytes(DATA, signing_pki.company_seal())
        return verify_detached(DATA, signature, signing_pki.trust_roots).ok

    assert asyncio.run(from_async_code())
