"""The real Chorus Pro client against the fake over HTTP: auth, paging, errors."""

from __future__ import annotations

import pytest

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.errors import (
    ChorusAmbiguousFailure,
    ChorusAuthError,
    ChorusRateLimited,
    ChorusRejected,
    explain_technical_error,
)
from connectors.chorus_pro.fake import FakeChorus
from connectors.chorus_pro.settings import PRODUCTION_API, SANDBOX_OAUTH, ChorusSettings
from documents.facturx.samples import chorus_sample

from .helpers import (
    EJ_BUYER,
    FREE_BUYER,
    MANY_SERVICES_BUYER,
    SERVICE_BUYER,
    deposit_counts,
    inject,
    make_settings,
)


def test_hosts_follow_the_sandbox_flag_unless_overridden() -> None:
    assert ChorusSettings(sandbox=False).resolved_api_url == PRODUCTION_API
    assert ChorusSettings(sandbox=True).resolved_oauth_url == SANDBOX_OAUTH
    assert ChorusSettings(api_base_url="http://x:1/").resolved_api_url == "http://x:1"


def test_token_is_cached_then_renewed_240_seconds_before_expiry(
    client: ChorusProClient, fake: FakeChorus
) -> None:
    client.find_structures(FREE_BUYER)
    client.find_structures(FREE_BUYER)
    assert len(fake.tokens) == 1
    fake.clock.advance(3600 - 250)
    client.find_structures(FREE_BUYER)
    assert len(fake.tokens) == 1
    fake.clock.advance(20)  # now 230 s before expiry: inside the margin
    client.find_structures(FREE_BUYER)
    assert len(fake.tokens) == 2


def test_a_token_expired_server_side_is_renewed_once(
    client: ChorusProClient, fake: FakeChorus, server_url: str
) -> None:
    client.find_structures(FREE_BUYER)
    inject(server_url, expire_tokens=True)
    assert client.find_structures(FREE_BUYER)[0].identifier == FREE_BUYER
    assert len(fake.tokens) == 2


def test_structure_service_and_commitment_lookups(client: ChorusProClient) -> None:
    [structure] = client.find_structures(SERVICE_BUYER)
    assert structure.name == "UNIVERSITE DE LORRAINE"
    params = client.structure_parameters(structure.structure_id)
    assert params.service_code_required and not params.legal_commitment_required
    services = {s.code: s for s in client.structure_services(structure.structure_id)}
    assert not services["ANCIEN"].active
    achats = client.service_parameters(structure.structure_id, services["ACHATS"].service_id)
    assert achats.legal_commitment_required
    [ej_buyer] = client.find_structures(EJ_BUYER)
    found = client.find_legal_commitments(ej_buyer.structure_id, "1300012345")
    assert [e.number for e in found] == ["1300012345"]
    assert client.find_legal_commitments(ej_buyer.structure_id, "999") == []
    assert client.find_structures("12000340500012") == []


def test_every_page_is_read(client: ChorusProClient, fake: FakeChorus) -> None:
    [big] = client.find_structures(MANY_SERVICES_BUYER)
    assert len(client.structure_services(big.structure_id)) == 25
    for i in range(23):
        client.deposit_flow(chorus_sample(f"P-{i:02d}", buyer_siret=FREE_BUYER), f"P-{i}.pdf")
    fake.clock.advance(61)
    listed = client.search_supplier_invoices()  # the fake pages by 10 unless asked otherwise
    assert sorted(i.invoice_number for i in listed) == [f"P-{i:02d}" for i in range(23)]
    assert len({i.invoice_id for i in listed}) == 23


@pytest.mark.parametrize(
    ("change", "credential", "names"),
    [
        ({"client_secret": "wrong"}, "client_credentials", "LIASSE_CHORUS_CLIENT_SECRET"),
        ({"technical_password": "wrong"}, "technical_account", "LIASSE_CHORUS_TECHNICAL_PASSWORD"),
        ({"technical_login": ""}, "technical_account", "LIASSE_CHORUS_TECHNICAL_LOGIN"),
    ],
)
def test_bad_credentials_name_what_to_fix(
    fake: FakeChorus, server_url: str, change: dict, credential: str, names: str
) -> None:
    settings = make_settings(server_url, **change)
    with (
        ChorusProClient(settings, clock=fake.clock.now) as client,
        pytest.raises(ChorusAuthError) as error,
    ):
        client.find_structures(FREE_BUYER)
    assert error.value.credential == credential
    assert names in error.value.fr and names in error.value.en


def test_expired_technical_password_and_missing_subscription(
    client: ChorusProClient, server_url: str
) -> None:
    inject(server_url, expire_accounts=["TECH_LIASSE@cpro.fr"])
    with pytest.raises(ChorusAuthError) as error:
        client.find_structures(FREE_BUYER)
    assert error.value.credential == "technical_account"
    assert "expiré" in error.value.fr
    inject(server_url, unsubscribe=["liasse-demo-client"])
    with pytest.raises(ChorusAuthError) as error:
        client.find_structures(FREE_BUYER)
    assert error.value.credential == "api_subscription"
    assert error.value.status == 403


def test_functional_errors_carry_code_and_libelle(client: ChorusProClient) -> None:
    with pytest.raises(ChorusRejected) as error:
        client.flow_report("CPP-UNKNOWN")
    assert "CPP-UNKNOWN" in error.value.libelle and error.value.code == 20002
    with pytest.raises(ChorusRejected, match="syntaxe"):
        client.deposit_flow(b"%PDF", "x.pdf", syntax="IN_NOPE")


def test_rate_limit_waits_retry_after_then_gives_up(
    client: ChorusProClient, server_url: str, sleeps: list[float]
) -> None:
    inject(server_url, next=[{"kind": "rate_limit", "retry_after": 2, "times": 2}])
    assert client.find_structures(FREE_BUYER)
    assert sleeps == [2.0, 2.0]
    inject(server_url, next=[{"kind": "rate_limit", "retry_after": 1, "times": 10}])
    with pytest.raises(ChorusRateLimited) as error:
        client.find_structures(FREE_BUYER)
    assert error.value.retry_after == 1.0


def test_reads_are_replayed_after_a_5xx(client: ChorusProClient, server_url: str) -> None:
    inject(server_url, next=[{"kind": "status", "status": 503, "path": "structures"}])
    assert client.find_structures(FREE_BUYER)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503, "when": "before"},
        {"kind": "status", "status": 502, "when": "after"},
        {"kind": "timeout", "seconds": 1.5},
        {"kind": "truncated"},
        {"kind": "disconnect"},
    ],
    ids=["503-before", "502-after", "timeout", "truncated", "disconnect"],
)
def test_a_deposit_is_never_replayed_by_the_client(
    client: ChorusProClient, server_url: str, fault: dict
) -> None:
    inject(server_url, next=[{**fault, "path": "deposer/flux"}])
    with pytest.raises(ChorusAmbiguousFailure) as error:
        client.deposit_flow(chorus_sample("A-1", buyer_siret=FREE_BUYER), "A-1.pdf")
    assert "peut-être" in error.value.fr
    expected = 0 if fault.get("when") == "before" else 1
    assert deposit_counts(server_url).get("A-1", 0) == expected


def test_xsd_errors_name_the_element() -> None:
    fr, en = explain_technical_error(
        "ERR_XSD_001", "Element '{urn:ram}Unexpected': This element is not expected.", "ERR_XSD"
    )
    assert "Unexpected" in en and "ERR_XSD_001" in fr


def test_flow_summary_reads_consulter_cr(client: ChorusProClient, fake: FakeChorus) -> None:
    receipt = client.deposit_flow(chorus_sample("CR-1", buyer_siret=FREE_BUYER), "CR-1.pdf")
    fake.clock.advance(61)
    summary = client.flow_summary(receipt.flow_number)
    assert summary.state == "IN_INTEGRE" and summary.file_name == "CR-1.pdf"
    assert summary.report_pdf_base64


def test_technical_password_expiry_reminder() -> None:
    from datetime import date

    settings = ChorusSettings(technical_password_expires_on=date(2026, 2, 1))
    assert settings.password_reminder(date(2025, 12, 1)) is None
    soon = settings.password_reminder(date(2026, 1, 20))
    assert soon is not None and "12 jour(s)" in soon[0]
    late = settings.password_reminder(date(2026, 2, 2))
    assert late is not None and "expired" in late[1]
