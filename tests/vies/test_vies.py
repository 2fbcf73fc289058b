"""VAT checks with zeep over HTTP against a fake VIES that serves the real WSDL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import zeep

from connectors.chorus_pro.fake.server import ServerThread, free_port
from connectors.soap import SoapEndpoint, SoapFault, SoapService, SoapUnavailable
from connectors.vies import VatChecker, VatStatus, vies_endpoint
from connectors.vies.fake import FakeVies, create_app
from connectors.vies.service import VIES_BINDING
from connectors.vies.settings import ViesSettings


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def vies_server() -> Iterator[tuple[FakeVies, str]]:
    fake = FakeVies()
    app = create_app(fake)
    with ServerThread(app) as server:
        yield fake, server.url + app.state.service_path


@pytest.fixture
def fake_vies(vies_server: tuple[FakeVies, str]) -> FakeVies:
    vies_server[0].reset()
    return vies_server[0]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checker(vies_server: tuple[FakeVies, str], fake_vies: FakeVies, clock: Clock) -> VatChecker:
    settings = ViesSettings(url=vies_server[1], timeout_seconds=0.5, cache_ttl_seconds=3600)
    return VatChecker(settings=settings, clock=clock)


def test_valid_number_comes_back_with_name_and_address(checker: VatChecker) -> None:
    result = checker.check_vat("FR", "FR 40 303 265 045")
    assert result.status == VatStatus.VALID and result.valid is True
    assert result.name == "SA ODOO" and "PARIS" in (result.address or "")
    assert result.request_date is not None and not result.from_cache


def test_undisclosed_fields_are_none(checker: VatChecker) -> None:
    result = checker.check_vat("DE", "136695976")
    assert result.valid is True and result.name is None and result.address is None


def test_unknown_number_is_invalid(checker: VatChecker, fake_vies: FakeVies) -> None:
    result = checker.check_vat("BE", "0776091951")  # well-formed, not registered
    assert result.status == VatStatus.INVALID and result.valid is False
    assert "BE0776091951" in (result.reason or "")
    assert fake_vies.requests == 1


def test_bad_check_digits_are_invalid_without_asking_vies(
    checker: VatChecker, fake_vies: FakeVies
) -> None:
    result = checker.check_vat("FR", "41303265045")
    assert result.status == VatStatus.INVALID and fake_vies.requests == 0


def test_invalid_input_fault_means_invalid(checker: VatChecker, fake_vies: FakeVies) -> None:
    fake_vies.next_faults.append("INVALID_INPUT")
    result = checker.check_vat("FR", "40303265045")
    assert result.status == VatStatus.INVALID and "INVALID_INPUT" in (result.reason or "")


@pytest.mark.parametrize(
    "fault", ["MS_UNAVAILABLE", "TIMEOUT", "SERVICE_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ"]
)
def test_vies_downtime_is_unverified_not_a_block_and_not_cached(
    checker: VatChecker, fake_vies: FakeVies, fault: str
) -> None:
    fake_vies.country_faults["FR"] = fault
    down = checker.check_vat("FR", "40303265045")
    assert down.status == VatStatus.UNVERIFIED and down.valid is None
    assert fault in (down.reason or "") and "réessayer" in (down.reason or "")
    fake_vies.country_faults.clear()
    assert checker.check_vat("FR", "40303265045").status == VatStatus.VALID
    assert fake_vies.requests == 2


def test_a_slow_or_absent_service_is_unverified(checker: VatChecker, fake_vies: FakeVies) -> None:
    fake_vies.delay_seconds = 1.0
    slow = checker.check_vat("FR", "40303265045")
    assert slow.status == VatStatus.UNVERIFIED and "timeout" in (slow.reason or "")
    fake_vies.delay_seconds = 0
    nobody = VatChecker(
        settings=ViesSettings(url=f"http://127.0.0.1:{free_port()}/vies", timeout_seconds=0.5)
    )
    assert nobody.check_vat("FR", "40303265045").status == VatStatus.UNVERIFIED


def test_answers_are_cached_until_the_ttl(
    checker: VatChecker, fake_vies: FakeVies, clock: Clock
) -> None:
    assert not checker.check_vat("FR", "40303265045").from_cache
    again = checker.check_vat("fr", "FR40303265045")
    assert again.from_cache and again.valid is True
    assert fake_vies.requests == 1
    clock.now += timedelta(hours=2)
    assert not checker.check_vat("FR", "40303265045").from_cache
    assert fake_vies.requests == 2


def test_the_served_wsdl_points_at_the_fake(
    vies_server: tuple[FakeVies, str], fake_vies: FakeVies
) -> None:
    url = vies_server[1]
    client = zeep.Client(f"{url}?wsdl")
    answer = client.service.checkVat(countryCode="BE", vatNumber="0403019261")
    assert answer.valid is True and answer.name == "NV BRASSERIE EXEMPLE"
    # The same through the reusable layer, WSDL fetched over HTTP, address from the WSDL.
    service = SoapService(SoapEndpoint("VIES", f"{url}?wsdl", VIES_BINDING, timeout=2))
    fake_vies.next_faults.append("SERVER_BUSY")
    with pytest.raises(SoapFault) as fault:
        service.call("checkVat", countryCode="BE", vatNumber="0403019261")
    assert fault.value.faultstring == "SERVER_BUSY"


def test_packaged_wsdl_keeps_the_commission_address() -> None:
    endpoint = vies_endpoint(ViesSettings())
    assert endpoint.address is None
    client = zeep.Client(str(endpoint.wsdl))
    assert "ec.europa.eu" in client.service._binding_options["address"]


def test_unreachable_wsdl_is_a_typed_error() -> None:
    service = SoapService(
        SoapEndpoint("VIES", f"http://127.0.0.1:{free_port()}/x?wsdl", VIES_BINDING, timeout=0.5)
    )
    with pytest.raises(SoapUnavailable):
        service.call("checkVat", countryCode="FR", vatNumber="40303265045")


def test_vat_cli(
    vies_server: tuple[FakeVies, str], fake_vies: FakeVies, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dossiers.errors import ValidationError
    from liasse.cli.main import root

    monkeypatch.setenv("LIASSE_VIES_URL", vies_server[1])
    monkeypatch.setenv("LIASSE_VIES_TIMEOUT_SECONDS", "1")
    runner = CliRunner()
    valid = runner.invoke(root, ["vat", "check", "FR40303265045"])
    assert valid.exit_code == 0 and "valide" in valid.output and "SA ODOO" in valid.output
    invalid = runner.invoke(root, ["vat", "check", "BE0776091951"])
    assert isinstance(invalid.exception, ValidationError)
    fake_vies.country_faults["FR"] = "MS_UNAVAILABLE"
    down = runner.invoke(root, ["vat", "check", "FR 40 303 265 045"])
    assert down.exit_code == 75 and "non vérifié" in down.output + (down.stderr or "")  # outage
