"""Checking an intra-EU VAT number with VIES, with a cache and a clear "could not verify".

The number is first checked locally (python-stdnum: format and check digits); a number that
fails there is invalid without asking VIES. VIES answers are cached for `cache_ttl` (injected
clock); "could not verify" answers are not cached, so the next check asks again.

VIES faults: `INVALID_INPUT` means the number is invalid; `MS_UNAVAILABLE`, `TIMEOUT`,
`SERVICE_UNAVAILABLE`, `MS_MAX_CONCURRENT_REQ`, `GLOBAL_MAX_CONCURRENT_REQ` and `SERVER_BUSY`
(and any transport failure) mean VIES could not answer: status `unverified`, with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from connectors.soap import SoapEndpoint, SoapError, SoapFault, SoapService, packaged_wsdl
from connectors.vies.settings import ViesSettings
from dossiers.db import utcnow
from dossiers.i18n import tr
from dossiers.identifiers import IdentifierError, validate_vat

VIES_BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"
UNAVAILABLE_FAULTS = {
    "MS_UNAVAILABLE": (
        "le service de l'État membre est indisponible",
        "the member state's service is down",
    ),
    "TIMEOUT": ("l'État membre n'a pas répondu à temps", "the member state did not answer in time"),
    "SERVICE_UNAVAILABLE": ("VIES est indisponible", "VIES is unavailable"),
    "MS_MAX_CONCURRENT_REQ": ("l'État membre est saturé", "the member state is overloaded"),
    "GLOBAL_MAX_CONCURRENT_REQ": ("VIES est saturé", "VIES is overloaded"),
    "SERVER_BUSY": ("VIES est saturé", "VIES is overloaded"),
}
VIES_COUNTRY = {"GR": "EL"}  # VIES calls Greece EL


class VatStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class VatCheckResult:
    country: str
    number: str
    status: VatStatus
    valid: bool | None  # None when it could not be verified
    name: str | None = None
    address: str | None = None
    request_date: date | None = None
    reason: str | None = None
    from_cache: bool = False


def vies_endpoint(settings: ViesSettings | None = None) -> SoapEndpoint:
    settings = settings or ViesSettings()
    return SoapEndpoint(
        name="VIES",
        wsdl=packaged_wsdl("connectors.vies", "checkVatService.wsdl"),
        binding=VIES_BINDING,
        address=settings.url,
        timeout=settings.timeout_seconds,
    )


def split_vat(country: str, number: str) -> tuple[str, str]:
    """Normalised (VIES country code, national number); the number may repeat the prefix.

    >>> split_vat("fr", "FR 40 303 265 045")
    ('FR', '40303265045')
    >>> split_vat("GR", "094259216")
    ('EL', '094259216')
    """
    country = country.strip().upper()
    compact = "".join(ch for ch in number if ch.isalnum() or ch in "+*").upper()
    for prefix in {country, VIES_COUNTRY.get(country, country)}:
        if compact.startswith(prefix) and not compact[: len(prefix)].isdigit():
            compact = compact[len(prefix) :]
    return VIES_COUNTRY.get(country, country), compact


class VatChecker:
    def __init__(
        self,
        service: SoapService | None = None,
        *,
        settings: ViesSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        settings = settings or ViesSettings()
        self.service = service or SoapService(vies_endpoint(settings))
        self.cache_ttl = timedelta(seconds=settings.cache_ttl_seconds)
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[datetime, VatCheckResult]] = {}
        self._lock = threading.Lock()

    def check_vat(self, country: str, number: str) -> VatCheckResult:
        country, number = split_vat(country, number)
        local = self._local_problem(country, number)
        if local is not None:
            return local
        now = self.clock()
        with self._lock:
            hit = self._cache.get((country, number))
        if hit is not None and now - hit[0] < self.cache_ttl:
            return replace(hit[1], from_cache=True)
        result = self._ask_vies(country, number)
        if result.status != VatStatus.UNVERIFIED:
            with self._lock:
                self._cache[(country, number)] = (now, result)
        return result

    @staticmethod
    def _local_problem(country: str, number: str) -> VatCheckResult | None:
        stdnum_country = "GR" if country == "EL" else country
        try:
            validate_vat(f"{stdnum_country}{number}")
        except IdentifierError as exc:
            return VatCheckResult(
                country, number, VatStatus.INVALID, False, reason=tr(exc.fr, exc.en)
            )
        return None

    def _ask_vies(self, country: str, number: str) -> VatCheckResult:
        try:
            answer = self.service.call("checkVat", countryCode=country, vatNumber=number)
        except SoapFault as fault:
            return self._from_fault(country, number, fault)
        except SoapError as exc:
            return VatCheckResult(
                country,
                number,
                VatStatus.UNVERIFIED,
                None,
                reason=tr(
                    f"Vérification impossible pour l'instant (VIES : {exc.fr}) ; "
                    "réessayer plus tard.",
                    f"Could not verify for now (VIES: {exc.en}); try again later.",
                ),
            )
        valid = bool(answer.valid)
        return VatCheckResult(
            country,
            number,
            VatStatus.VALID if valid else VatStatus.INVALID,
            valid,
            name=_disclosed(answer.name),
            address=_disclosed(answer.address),
            request_date=answer.requestDate,
            reason=None
            if valid
            else tr(
                f"VIES ne connaît pas le numéro de TVA {country}{number}.",
                f"VIES does not know VAT number {country}{number}.",
            ),
        )

    @staticmethod
    def _from_fault(country: str, number: str, fault: SoapFault) -> VatCheckResult:
        code = fault.faultstring.strip()
        if code == "INVALID_INPUT":
            return VatCheckResult(
                country,
                number,
                VatStatus.INVALID,
                False,
                reason=tr(
                    f"VIES refuse le numéro {country}{number} comme mal formé (INVALID_INPUT).",
                    f"VIES rejects {country}{number} as malformed (INVALID_INPUT).",
                ),
            )
        fr, en = UNAVAILABLE_FAULTS.get(code, (code, code))
        return VatCheckResult(
            country,
            number,
            VatStatus.UNVERIFIED,
            None,
            reason=tr(
                f"Vérification impossible pour l'instant : {fr} ({code}) ; réessayer plus tard.",
                f"Could not verify for now: {en} ({code}); try again later.",
            ),
        )


def _disclosed(value: str | None) -> str | None:
    """VIES answers '---' when the member state does not disclose a field."""
    value = (value or "").strip()
    return None if value in ("", "---") else value
