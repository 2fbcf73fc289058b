"""The Chorus Pro answers the connector reads, as pydantic models over the wire JSON.

Attribute names are English; aliases are the French wire names. Unknown fields are ignored
(Chorus Pro adds fields over time) and optional ones default, so an answer that lacks a field we
do not need still parses.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

FLOW_SYNTAX_FACTURX = "IN_DP_E2_CII_FACTURX"

PENDING_FLOW_STATES = frozenset(
    {
        "IN_RECU",
        "IN_TRAITE_SE_CPP",
        "IN_EN_ATTENTE_TRAITEMENT_CPP",
        "IN_EN_COURS_TRAITEMENT_CPP",
        "IN_EN_ATTENTE_RETRAITEMENT_CPP",
        "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
    }
)
INTEGRATED_FLOW_STATES = frozenset({"IN_INTEGRE", "IN_INTEGRE_PARTIEL"})
FAILED_FLOW_STATES = frozenset({"IN_REJETE", "IN_INCIDENTE"})
FINAL_FLOW_STATES = INTEGRATED_FLOW_STATES | FAILED_FLOW_STATES


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class DepositReceipt(_Wire):
    flow_number: str = Field(alias="numeroFluxDepot")
    deposit_date: str | None = Field(default=None, alias="dateDepot")
    syntax: str | None = Field(default=None, alias="syntaxeFlux")


class InvoiceError(_Wire):
    supplier_id: str | None = Field(default=None, alias="identifiantFournisseur")
    recipient_id: str | None = Field(default=None, alias="identifiantDestinataire")
    invoice_number: str | None = Field(default=None, alias="numeroDP")
    message: str = Field(default="", alias="libelleErreurDP")


class TechnicalError(_Wire):
    code: str = Field(default="", alias="codeErreur")
    message: str = Field(default="", alias="libelleErreur")
    nature: str | None = Field(default=None, alias="natureErreur")


class FlowReport(_Wire):
    """`consulterCRDetaille`: where a deposited flow stands, and why it failed if it did."""

    state: str = Field(alias="etatCourantDepotFlux")
    interface_code: str | None = Field(default=None, alias="codeInterfaceDepotFlux")
    file_name: str | None = Field(default=None, alias="nomFichier")
    deposit_date: str | None = Field(default=None, alias="dateDepotFlux")
    state_changed_at: str | None = Field(default=None, alias="dateHeureEtatCourantFlux")
    invoice_errors: list[InvoiceError] = Field(default_factory=list, alias="listeErreurDP")
    technical_errors: list[TechnicalError] = Field(
        default_factory=list, alias="listeErreurTechnique"
    )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_FLOW_STATES


class FlowSummary(_Wire):
    """`consulterCR`: the flow's state and its deposit report (a PDF). Reported unreliable for
    Factur-X flows: follow-up uses `FlowReport` (`consulterCRDetaille`)."""

    state: str = Field(alias="etatCourantFlux")
    deposit_date: str | None = Field(default=None, alias="dateDepotFlux")
    state_changed_at: str | None = Field(default=None, alias="dateHeureEtatCourantFlux")
    file_name: str | None = Field(default=None, alias="nomFichierFlux")
    report_pdf_base64: str | None = Field(default=None, alias="fichierCR")


class InvoiceSummary(_Wire):
    invoice_number: str = Field(alias="numeroFacture")
    invoice_id: int = Field(alias="identifiantFactureCPP")
    status: str | None = Field(default=None, alias="statut")
    flow_number: str | None = Field(default=None, alias="numeroFluxDepot")


class StatusChange(_Wire):
    code: str = Field(alias="histoStatutCode")
    at: str | None = Field(default=None, alias="histoStatutDatePassage")
    comment: str | None = Field(default=None, alias="histoStatutCommentaire")


class _StatusList(_Wire):
    entries: list[StatusChange] = Field(default_factory=list, alias="histoStatut")


class InvoiceHistory(_Wire):
    invoice_id: int = Field(alias="idFacture")
    invoice_number: str | None = Field(default=None, alias="numeroFacture")
    current_status: str = Field(alias="statutCourantCode")
    history: _StatusList = Field(default_factory=_StatusList, alias="historiquesDesStatuts")

    @property
    def changes(self) -> list[StatusChange]:
        return list(self.history.entries)


class Structure(_Wire):
    structure_id: int = Field(alias="idStructureCPP")
    identifier: str = Field(alias="identifiantStructure")
    name: str | None = Field(default=None, alias="designationStructure")
    status: str | None = Field(default=None, alias="statut")


class StructureParameters(_Wire):
    service_code_required: bool = Field(default=False, alias="codeServiceDoitEtreRenseigne")
    legal_commitment_required: bool = Field(default=False, alias="numeroEJDoitEtreRenseigne")
    legal_commitment_or_service_code: bool = Field(
        default=False, alias="gestionNumeroEJOuCodeService"
    )


class Service(_Wire):
    service_id: int = Field(alias="idService")
    code: str = Field(alias="codeService")
    label: str | None = Field(default=None, alias="libelleService")
    active: bool = Field(default=True, alias="estActif")


class ServiceParameters(_Wire):
    legal_commitment_required: bool = Field(default=False, alias="numeroEngagement")


class LegalCommitment(_Wire):
    number: str = Field(
        validation_alias=AliasChoices("numeroEngagementJuridique", "numeroEngagement")
    )
    state: str | None = Field(
        default=None,
        validation_alias=AliasChoices("etatCourantEngagementJuridique", "etatCourantEngagement"),
    )
