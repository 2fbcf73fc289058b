"""Checks before a deposit, so that Chorus Pro never receives an invoice that will bounce.

What Chorus Pro routes on is read from the XML embedded in the PDF (`routing`), then checked
against the buyer's published parameters:

- the buyer SIRET is a valid SIRET and a Chorus Pro structure;
- a service code (BT-10) is present when the structure requires one, and names an active
  service of that structure;
- a legal commitment (BT-13, ≤ 50 characters) is present when the structure or the service
  requires one, and exists on Chorus Pro;
- the Factur-X passes the injected validation (`check_facturx`, from `documents`).

Buyer parameters change rarely, so `BuyerDirectory` keeps them for a while (injected clock):
a wave of deposits to the same university asks once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.chorus_pro.client import ChorusProClient
from connectors.chorus_pro.models import Service, ServiceParameters, Structure, StructureParameters
from connectors.chorus_pro.routing import NoFacturXData, RoutingData, read_routing
from dossiers.db import utcnow
from dossiers.errors import LiasseError
from dossiers.i18n import tr
from dossiers.identifiers import IdentifierError, validate_siret

FacturXCheck = Callable[[bytes], Any]
MAX_LEGAL_COMMITMENT = 50


@dataclass(frozen=True)
class Problem:
    """One reason not to deposit, in French and English."""

    fr: str
    en: str

    def __str__(self) -> str:
        return tr(self.fr, self.en)


class BuyerDirectory:
    """Chorus Pro structure look-ups, cached for `ttl` (thread-safe)."""

    def __init__(
        self,
        client: ChorusProClient,
        *,
        ttl: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[Any, ...], tuple[datetime, Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[Any, ...], fetch: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def structure(self, siret: str) -> Structure | None:
        found = self._cached(("structure", siret), lambda: self.client.find_structures(siret))
        return found[0] if found else None

    def parameters(self, structure_id: int) -> StructureParameters:
        return self._cached(
            ("parameters", structure_id), lambda: self.client.structure_parameters(structure_id)
        )

    def services(self, structure_id: int) -> list[Service]:
        return self._cached(
            ("services", structure_id), lambda: self.client.structure_services(structure_id)
        )

    def service_parameters(self, structure_id: int, service_id: int) -> ServiceParameters:
        return self._cached(
            ("service", structure_id, service_id),
            lambda: self.client.service_parameters(structure_id, service_id),
        )

    def legal_commitment_exists(self, structure_id: int, number: str) -> bool:
        found = self._cached(
            ("ej", structure_id, number),
            lambda: self.client.find_legal_commitments(structure_id, number),
        )
        return any(ej.number == number for ej in found)


def facturx_problems(check: FacturXCheck, pdf: bytes) -> list[Problem]:
    """Run the injected Factur-X check, whatever shape its answer takes.

    Accepts a report with `ok`/`failures` (the documents package's `FacturXReport`), an
    iterable of problem texts, a boolean, or a `LiasseError` raised.
    """
    try:
        result = check(pdf)
    except LiasseError as exc:
        return [Problem(exc.fr, exc.en)]
    if result is None or result is True:
        return []
    if result is False:
        return [Problem("Le Factur-X est invalide.", "The Factur-X is invalid.")]
    if hasattr(result, "ok"):
        if result.ok:
            return []
        failures = [str(f) for f in getattr(result, "failures", [])] or ["?"]
        return [
            Problem(f"Factur-X non conforme : {f}", f"Non-compliant Factur-X: {f}")
            for f in failures
        ]
    return [Problem(f"Factur-X non conforme : {p}", f"Non-compliant Factur-X: {p}") for p in result]


def check_before_deposit(
    directory: BuyerDirectory,
    pdf: bytes,
    *,
    invoice_number: str,
    check_facturx: FacturXCheck,
) -> tuple[RoutingData | None, list[Problem]]:
    """Everything that would make Chorus Pro bounce this invoice; empty list = deposit it."""
    try:
        routing = read_routing(pdf)
    except NoFacturXData as exc:
        return None, [
            Problem(
                f"Le PDF ne contient pas de XML Factur-X lisible ({exc}) : le régénérer.",
                f"The PDF holds no readable Factur-X XML ({exc}): generate it again.",
            )
        ]
    problems = facturx_problems(check_facturx, pdf)
    if routing.invoice_number != invoice_number:
        problems.append(
            Problem(
                f"Le XML Factur-X porte le numéro {routing.invoice_number}, pas {invoice_number}.",
                f"The Factur-X XML carries number {routing.invoice_number}, not {invoice_number}.",
            )
        )
    problems += _buyer_problems(directory, routing)
    return routing, problems


def _buyer_problems(directory: BuyerDirectory, routing: RoutingData) -> list[Problem]:
    if not routing.buyer_siret:
        return [
            Problem(
                "SIRET de l'acheteur absent du Factur-X (BuyerTradeParty/SpecifiedLegalOrganization"
                "/ID, schemeID 0002) : le renseigner sur le client.",
                "Buyer SIRET missing from the Factur-X (BuyerTradeParty/SpecifiedLegalOrganization"
                "/ID, schemeID 0002): set it on the customer.",
            )
        ]
    try:
        siret = validate_siret(routing.buyer_siret)
    except IdentifierError as exc:
        return [Problem(exc.fr, exc.en)]
    structure = directory.structure(siret)
    if structure is None:
        return [
            Problem(
                f"Le SIRET acheteur {siret} est inconnu de Chorus Pro : vérifier le SIRET du "
                "client (annuaire Chorus Pro).",
                f"Buyer SIRET {siret} is unknown to Chorus Pro: check the customer's SIRET "
                "(Chorus Pro directory).",
            )
        ]
    params = directory.parameters(structure.structure_id)
    problems: list[Problem] = []
    service_needs_ej = False
    name = structure.name or siret
    if routing.service_code:
        service = next(
            (
                s
                for s in directory.services(structure.structure_id)
                if s.code == routing.service_code
            ),
            None,
        )
        if service is None or not service.active:
            problems.append(
                Problem(
                    f"Le code service {routing.service_code} n'existe pas ou n'est plus actif "
                    f"chez {name} : corriger le code service (BT-10) de la facture.",
                    f"Service code {routing.service_code} does not exist or is inactive at "
                    f"{name}: correct the invoice's service code (BT-10).",
                )
            )
        else:
            service_params = directory.service_parameters(
                structure.structure_id, service.service_id
            )
            service_needs_ej = service_params.legal_commitment_required
    elif params.service_code_required:
        problems.append(
            Problem(
                f"{name} exige un code service : renseigner le code service (BT-10) de la facture.",
                f"{name} requires a service code: fill in the invoice's service code (BT-10).",
            )
        )
    ej = routing.legal_commitment
    needs_ej = params.legal_commitment_required or service_needs_ej
    if params.legal_commitment_or_service_code and not (ej or routing.service_code):
        problems.append(
            Problem(
                f"{name} exige un engagement juridique ou un code service : "
                "renseigner l'un des deux.",
                f"{name} requires a legal commitment or a service code: fill in one of them.",
            )
        )
    if needs_ej and not ej:
        problems.append(
            Problem(
                f"{name} exige un numéro d'engagement juridique : renseigner le bon de commande "
                "(BT-13) de la facture.",
                f"{name} requires a legal commitment number: fill in the invoice's purchase "
                "order reference (BT-13).",
            )
        )
    elif ej and len(ej) > MAX_LEGAL_COMMITMENT:
        problems.append(
            Problem(
                f"L'engagement juridique {ej} dépasse {MAX_LEGAL_COMMITMENT} caractères.",
                f"Legal commitment {ej} is longer than {MAX_LEGAL_COMMITMENT} characters.",
            )
        )
    elif ej and needs_ej and not directory.legal_commitment_exists(structure.structure_id, ej):
        problems.append(
            Problem(
                f"L'engagement juridique {ej} est inconnu chez {name} : vérifier le numéro "
                "de bon de commande (BT-13).",
                f"Legal commitment {ej} is unknown at {name}: check the purchase order number "
                "(BT-13).",
            )
        )
    return problems
