"""The fake's `/cpro/` operations: one function per path, JSON body in, JSON body out.

Each raises `FunctionalError` where Chorus Pro answers HTTP 400 with a `codeRetour`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from connectors.chorus_pro.fake.state import FakeChorus, FakeFlow, FunctionalError

DEFAULT_PAGE_SIZE = 10  # the real default, which lost invoice ids for clients that did not page
SYNTAXES = frozenset(
    {
        "IN_DP_E2_CII_FACTURX",
        "IN_DP_E1_CII_16B",
        "IN_DP_E1_UBL_INVOICE",
        "IN_DP_E2_UBL_INVOICE_MIN",
        "IN_DP_E2_CII_MIN_16B",
    }
)
OK = {"codeRetour": 0, "libelle": "GCU_MSG_01_000"}


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value in (None, ""):
        raise FunctionalError(20001, f"Le paramètre {name} est obligatoire")
    return value


def _page(items: list[dict[str, Any]], paging: dict[str, Any] | None) -> tuple[list, dict]:
    paging = paging or {}
    size = int(paging.get("nbResultatsParPage") or DEFAULT_PAGE_SIZE)
    page = max(1, int(paging.get("pageResultatDemandee") or 1))
    pages = max(1, -(-len(items) // size))
    chunk = items[(page - 1) * size : page * size]
    meta = {"pageCourante": page, "pages": pages, "total": len(items), "nbResultatsParPage": size}
    return chunk, meta


def deposit(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    syntax = _required(body, "syntaxeFlux")
    if syntax not in SYNTAXES:
        raise FunctionalError(20001, f"La syntaxe de flux {syntax} est inconnue")
    name = _required(body, "nomFichier")
    try:
        content = base64.b64decode(_required(body, "fichierFlux"), validate=True)
    except (binascii.Error, ValueError):
        raise FunctionalError(20001, "Le fichier transmis n'est pas encodé en base 64") from None
    flow = fake.deposit(content, str(name), str(syntax))
    return {
        **OK,
        "numeroFluxDepot": flow.number,
        "dateDepot": flow.deposited_at.date().isoformat(),
        "syntaxeFlux": syntax,
    }


def _report(fake: FakeChorus, flow: FakeFlow) -> dict[str, Any]:
    state = fake.flow_state(flow)
    failed = [i for i in flow.invoices if i.error]
    return {
        **OK,
        "etatCourantDepotFlux": state,
        "codeInterfaceDepotFlux": "FSO1100A",
        "nomFichier": flow.file_name,
        "dateDepotFlux": flow.deposited_at.date().isoformat(),
        "dateHeureEtatCourantFlux": fake.clock.now().isoformat(timespec="seconds"),
        "listeErreurDP": [
            {
                "identifiantFournisseur": None,
                "identifiantDestinataire": i.buyer_siret,
                "numeroDP": i.number,
                "libelleErreurDP": i.error,
            }
            for i in failed
        ]
        if flow.state
        else [],
        "listeErreurTechnique": [
            {"codeErreur": code, "libelleErreur": message, "natureErreur": code.rsplit("_", 1)[0]}
            for code, message in (i.technical_error for i in failed if i.technical_error)
        ]
        if flow.state
        else [],
    }


def flow_report(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    return _report(fake, fake.flow(str(_required(body, "numeroFluxDepot"))))


def flow_summary(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    report = _report(fake, fake.flow(str(_required(body, "numeroFluxDepot"))))
    return {
        **OK,
        "etatCourantFlux": report["etatCourantDepotFlux"],
        "dateDepotFlux": report["dateDepotFlux"],
        "dateHeureEtatCourantFlux": report["dateHeureEtatCourantFlux"],
        "nomFichierFlux": report["nomFichier"],
        "fichierCR": base64.b64encode(b"%PDF-1.4 compte rendu").decode(),
    }


def search_supplier(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    flow_number = body.get("numeroFluxDepot")
    invoice_number = body.get("numeroFacture")
    rows = []
    for flow, invoice in fake.integrated_invoices():
        if flow_number and flow.number != flow_number:
            continue
        if invoice_number and invoice.number != invoice_number:
            continue
        _, steps = fake.history(invoice.invoice_id or 0)
        rows.append(
            {
                "numeroFacture": invoice.number,
                "identifiantFactureCPP": invoice.invoice_id,
                "statut": steps[-1][0] if steps else "DEPOSEE",
                "numeroFluxDepot": flow.number,
                "dateDepot": flow.deposited_at.date().isoformat(),
                "typeFacture": "FACTURE",
            }
        )
    chunk, meta = _page(rows, body.get("rechercheFactureParFournisseur"))
    return {**OK, "listeFactures": chunk, "parametresRetour": meta}


def history(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    invoice, steps = fake.history(int(_required(body, "idFacture")))
    return {
        **OK,
        "idFacture": invoice.invoice_id,
        "numeroFacture": invoice.number,
        "statutCourantCode": steps[-1][0] if steps else "DEPOSEE",
        "historiquesDesStatuts": {
            "histoStatut": [
                {
                    "histoStatutCode": code,
                    "histoStatutDatePassage": at.isoformat(timespec="seconds"),
                    "histoStatutCommentaire": None,
                }
                for code, at in reversed(steps)
            ]
        },
    }


def find_structures(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    criteria = body.get("structure") or {}
    siret = str(criteria.get("identifiantStructure") or "")
    found = fake.structure_by_siret(siret)
    listing = (
        [
            {
                "idStructureCPP": found["idStructureCPP"],
                "identifiantStructure": found["siret"],
                "designationStructure": found["designation"],
                "statut": "ACTIF",
                "typeIdentifiantStructure": "SIRET",
            }
        ]
        if found
        else []
    )
    return {**OK, "listeStructures": listing, "parametresRetour": {"total": len(listing)}}


def structure_details(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    structure = fake.structure(body.get("idStructureCPP") or body.get("idStructure"))
    params = {
        "codeServiceDoitEtreRenseigne": False,
        "numeroEJDoitEtreRenseigne": False,
        "gestionNumeroEJOuCodeService": False,
        "gestionStatutMiseEnPaiement": True,
        **structure["parametres"],
    }
    return {
        **OK,
        "idStructureCPP": structure["idStructureCPP"],
        "identifiantStructure": structure["siret"],
        "raisonSociale": structure["designation"],
        "parametres": params,
    }


def structure_services(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    structure = fake.structure(_required(body, "idStructure"))
    rows = [
        {
            "idService": s["idService"],
            "codeService": s["codeService"],
            "libelleService": s["libelleService"],
            "estActif": s["estActif"],
            "dateDbtService": "2020-01-01",
            "dateFinService": None if s["estActif"] else "2024-12-31",
        }
        for s in structure["services"]
    ]
    chunk, meta = _page(rows, body.get("parametresRechercherServicesStructure"))
    return {**OK, "listeServices": chunk, "parametresRetour": meta}


def service_details(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    structure = fake.structure(_required(body, "idStructure"))
    wanted = int(_required(body, "idService"))
    service = next((s for s in structure["services"] if s["idService"] == wanted), None)
    if service is None:
        raise FunctionalError(20004, f"Le service {wanted} est introuvable")
    return {
        **OK,
        "idService": service["idService"],
        "codeService": service["codeService"],
        "parametres": {
            "numeroEngagement": service["numeroEngagement"],
            "statutMiseEnPaiement": True,
        },
    }


def legal_commitments(fake: FakeChorus, body: dict[str, Any]) -> dict[str, Any]:
    structure = fake.structure(_required(body, "structureReceptriceEngagementJuridique"))
    number = str(body.get("numeroEngagementJuridique") or "")
    listing = [
        {"numeroEngagementJuridique": ej, "etatCourantEngagementJuridique": "COMMANDE"}
        for ej in structure["engagements"]
        if not number or ej == number
    ]
    return {**OK, "listeEngagementJuridique": listing}


API_ROUTES: dict[str, Callable[[FakeChorus, dict[str, Any]], dict[str, Any]]] = {
    "factures/v1/deposer/flux": deposit,
    "transverses/v1/consulterCRDetaille": flow_report,
    "transverses/v1/consulterCR": flow_summary,
    "factures/v1/rechercher/fournisseur": search_supplier,
    "factures/v1/consulter/historique": history,
    "structures/v1/rechercher": find_structures,
    "structures/v1/consulter": structure_details,
    "structures/v1/rechercher/services": structure_services,
    "structures/v1/consulter/service": service_details,
    "engagementsJuridiques/v1/rechercher": legal_commitments,
}
