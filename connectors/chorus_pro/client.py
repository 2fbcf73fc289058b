"""The Chorus Pro REST client over PISTE (sync httpx; thread-safe, so deposits run in parallel).

Every operation is a JSON `POST` under `/cpro/` with the bearer token and the `cpro-account`
header. `_post` is the one place that turns HTTP into typed errors:

- 401 with an expired token: the token is renewed and the call replayed once;
- 401/403 otherwise: `ChorusAuthError` naming the credential (read from `WWW-Authenticate`);
- 429: waits `Retry-After` and replays (nothing was processed), then `ChorusRateLimited`;
- 400 or `codeRetour` ≠ 0: `ChorusRejected` with the `libelle`;
- 5xx, read timeouts, resets, unreadable JSON: `ChorusAmbiguousFailure`. Reads are replayed a
  couple of times; a deposit never is (the deposit service looks it up first).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from connectors.chorus_pro.auth import TokenProvider
from connectors.chorus_pro.errors import (
    ChorusAmbiguousFailure,
    ChorusAuthError,
    ChorusRateLimited,
    ChorusRejected,
    ChorusUnavailable,
)
from connectors.chorus_pro.models import (
    FLOW_SYNTAX_FACTURX,
    DepositReceipt,
    FlowReport,
    FlowSummary,
    InvoiceHistory,
    InvoiceSummary,
    LegalCommitment,
    Service,
    ServiceParameters,
    Structure,
    StructureParameters,
)
from connectors.chorus_pro.settings import ChorusSettings
from dossiers.db import utcnow

MAX_PAGES = 10_000
SERVICES_PAGE_SIZE = 100


def _auth_error(response: httpx.Response) -> ChorusAuthError:
    """Which credential PISTE/Chorus Pro refused, from the gateway's `WWW-Authenticate`."""
    challenge = response.headers.get("WWW-Authenticate", "").lower()
    status = response.status_code
    if "invalid_token" in challenge:
        return ChorusAuthError(
            "token",
            "Le jeton PISTE est refusé même renouvelé : vérifier l'application PISTE "
            "(LIASSE_CHORUS_CLIENT_ID) et l'horloge du serveur.",
            "The PISTE token is refused even when renewed: check the PISTE application "
            "(LIASSE_CHORUS_CLIENT_ID) and the server clock.",
            status=status,
        )
    if "insufficient_scope" in challenge or "subscription" in challenge:
        return ChorusAuthError(
            "api_subscription",
            "L'application PISTE n'est pas abonnée à l'API Chorus Pro : l'y abonner dans PISTE "
            "(et accepter ses CGU) pour cet environnement.",
            "The PISTE application is not subscribed to the Chorus Pro API: subscribe it in "
            "PISTE (and accept its terms) for this environment.",
            status=status,
        )
    detail = _libelle(response)
    return ChorusAuthError(
        "technical_account",
        "Chorus Pro refuse le compte technique (en-tête cpro-account) : vérifier "
        "LIASSE_CHORUS_TECHNICAL_LOGIN et LIASSE_CHORUS_TECHNICAL_PASSWORD (mot de passe expiré ?)"
        f"{' — ' + detail if detail else ''}.",
        "Chorus Pro refuses the technical account (cpro-account header): check "
        "LIASSE_CHORUS_TECHNICAL_LOGIN and LIASSE_CHORUS_TECHNICAL_PASSWORD (expired password?)"
        f"{' — ' + detail if detail else ''}.",
        status=status,
    )


def _libelle(response: httpx.Response) -> str:
    try:
        return str(response.json().get("libelle") or "")
    except (ValueError, AttributeError):
        return ""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class ChorusProClient:
    def __init__(
        self,
        settings: ChorusSettings,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        rate_limit_retries: int = 3,
        read_retries: int = 2,
    ) -> None:
        self.settings = settings
        self._http = http or httpx.Client(
            timeout=settings.timeout_seconds,
            limits=httpx.Limits(max_connections=max(10, settings.max_concurrency * 2)),
        )
        self._api = f"{settings.resolved_api_url}/cpro/"
        self._sleep = sleep
        self._rate_limit_retries = rate_limit_retries
        self._read_retries = read_retries
        self.tokens = TokenProvider(
            self._http,
            oauth_url=settings.resolved_oauth_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            clock=clock,
        )

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChorusProClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------------
    def _account_header(self) -> str:
        login = self.settings.technical_login
        password = self.settings.technical_password.get_secret_value()
        if not login or not password:
            raise ChorusAuthError(
                "technical_account",
                "Compte technique Chorus Pro absent : renseigner LIASSE_CHORUS_TECHNICAL_LOGIN "
                "et LIASSE_CHORUS_TECHNICAL_PASSWORD.",
                "Chorus Pro technical account missing: set LIASSE_CHORUS_TECHNICAL_LOGIN and "
                "LIASSE_CHORUS_TECHNICAL_PASSWORD.",
            )
        return base64.b64encode(f"{login}:{password}".encode()).decode("ascii")

    def _post(self, path: str, body: dict[str, Any], *, replay_ambiguous: bool) -> dict[str, Any]:
        account = self._account_header()
        token_renewed = False
        rate_limited = 0
        ambiguous = 0
        while True:
            token = self.tokens.get()
            headers = {
                "Authorization": f"Bearer {token}",
                "cpro-account": account,
                "Content-Type": "application/json;charset=utf-8",
                "Accept": "application/json;charset=utf-8",
            }
            try:
                response = self._http.post(self._api + path, json=body, headers=headers)
                status = response.status_code
                if status in (401, 403):
                    expired = "invalid_token" in response.headers.get("WWW-Authenticate", "")
                    if expired and not token_renewed:
                        self.tokens.invalidate(token)
                        token_renewed = True
                        continue
                    raise _auth_error(response)
                if status == 429:
                    wait = _retry_after(response)
                    if rate_limited >= self._rate_limit_retries:
                        raise ChorusRateLimited(wait, path=path)
                    rate_limited += 1
                    self._sleep(wait)
                    continue
                if status >= 500:
                    raise ChorusAmbiguousFailure(f"HTTP {status}", path=path)
                return self._read_body(response, path)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Never connected: nothing reached Chorus Pro.
                raise ChorusUnavailable(type(exc).__name__, path=path) from exc
            except httpx.TransportError as exc:
                failure = ChorusAmbiguousFailure(type(exc).__name__, path=path)
                if not replay_ambiguous or ambiguous >= self._read_retries:
                    raise failure from exc
            except ChorusAmbiguousFailure:
                if not replay_ambiguous or ambiguous >= self._read_retries:
                    raise
            ambiguous += 1
            self._sleep(0.2 * 2**ambiguous)

    @staticmethod
    def _read_body(response: httpx.Response, path: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise ChorusAmbiguousFailure("unreadable JSON answer", path=path) from exc
        if not isinstance(data, dict):
            raise ChorusAmbiguousFailure("unexpected JSON answer", path=path)
        code = data.get("codeRetour", 0)
        if response.status_code == 400 or str(code) not in ("0", ""):
            raise ChorusRejected(code, str(data.get("libelle") or ""), path=path)
        return data

    def _read(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._post(path, body, replay_ambiguous=True)

    # --- invoices ----------------------------------------------------------------------------
    def deposit_flow(
        self, content: bytes, file_name: str, syntax: str = FLOW_SYNTAX_FACTURX
    ) -> DepositReceipt:
        """`deposer/flux`. Never replayed here: an ambiguous failure is the caller's to resolve."""
        body = {
            "fichierFlux": base64.b64encode(content).decode("ascii"),
            "nomFichier": file_name,
            "syntaxeFlux": syntax,
            "avecSignature": False,
        }
        data = self._post("factures/v1/deposer/flux", body, replay_ambiguous=False)
        return DepositReceipt.model_validate(data)

    def flow_report(self, flow_number: str, syntax: str = FLOW_SYNTAX_FACTURX) -> FlowReport:
        data = self._read(
            "transverses/v1/consulterCRDetaille",
            {"numeroFluxDepot": flow_number, "syntaxeFlux": syntax},
        )
        return FlowReport.model_validate(data)

    def flow_summary(
        self, flow_number: str, syntax: str = FLOW_SYNTAX_FACTURX, deposit_date: str | None = None
    ) -> FlowSummary:
        body: dict[str, Any] = {"numeroFluxDepot": flow_number, "syntaxeFlux": syntax}
        if deposit_date:
            body["dateDepot"] = deposit_date
        return FlowSummary.model_validate(self._read("transverses/v1/consulterCR", body))

    def search_supplier_invoices(
        self,
        *,
        flow_number: str | None = None,
        invoice_number: str | None = None,
        page_size: int | None = None,
    ) -> list[InvoiceSummary]:
        """`rechercher/fournisseur`, every page (the default page holds only 10 invoices)."""
        criteria: dict[str, Any] = {}
        if flow_number:
            criteria["numeroFluxDepot"] = flow_number
        if invoice_number:
            criteria["numeroFacture"] = invoice_number
        found: list[InvoiceSummary] = []
        for item in self._pages(
            "factures/v1/rechercher/fournisseur",
            criteria,
            "rechercheFactureParFournisseur",
            "listeFactures",
            page_size,
        ):
            found.append(InvoiceSummary.model_validate(item))
        return found

    def invoice_history(self, invoice_id: int) -> InvoiceHistory:
        data = self._read("factures/v1/consulter/historique", {"idFacture": invoice_id})
        return InvoiceHistory.model_validate(data)

    def _pages(
        self,
        path: str,
        criteria: dict[str, Any],
        paging_key: str,
        list_key: str,
        page_size: int | None,
    ) -> Iterator[dict[str, Any]]:
        page = 1
        while page <= MAX_PAGES:
            paging: dict[str, Any] = {"pageResultatDemandee": page}
            if page_size:
                paging["nbResultatsParPage"] = page_size
            data = self._read(path, {**criteria, paging_key: paging})
            yield from data.get(list_key) or []
            pages = int((data.get("parametresRetour") or {}).get("pages") or 1)
            if page >= pages:
                return
            page += 1

    # --- structures (the public buyers) ------------------------------------------------------
    def find_structures(self, siret: str) -> list[Structure]:
        data = self._read(
            "structures/v1/rechercher",
            {"structure": {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"}},
        )
        return [Structure.model_validate(s) for s in data.get("listeStructures") or []]

    def structure_parameters(self, structure_id: int) -> StructureParameters:
        data = self._read(
            "structures/v1/consulter", {"idStructureCPP": structure_id, "codeLangue": "FR"}
        )
        return StructureParameters.model_validate(data.get("parametres") or {})

    def structure_services(self, structure_id: int) -> list[Service]:
        return [
            Service.model_validate(item)
            for item in self._pages(
                "structures/v1/rechercher/services",
                {"idStructure": structure_id},
                "parametresRechercherServicesStructure",
                "listeServices",
                SERVICES_PAGE_SIZE,
            )
        ]

    def service_parameters(self, structure_id: int, service_id: int) -> ServiceParameters:
        data = self._read(
            "structures/v1/consulter/service",
            {"idStructure": structure_id, "idService": service_id},
        )
        return ServiceParameters.model_validate(data.get("parametres") or {})

    def find_legal_commitments(self, structure_id: int, number: str) -> list[LegalCommitment]:
        data = self._read(
            "engagementsJuridiques/v1/rechercher",
            {
                "structureReceptriceEngagementJuridique": structure_id,
                "numeroEngagementJuridique": number,
                "etatCourantEngagementJuridique": "COMMANDE",
            },
        )
        found = data.get("listeEngagementJuridique") or []
        return [LegalCommitment.model_validate(e) for e in found]

    def health_check(self) -> bool:
        response = self._http.get(
            self._api + "transverses/v1/health-check",
            headers={"Authorization": f"Bearer {self.tokens.get()}"},
        )
        return response.status_code == 200
