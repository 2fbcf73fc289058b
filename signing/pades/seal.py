"""The company seal: a PAdES signature by the company's long-lived seal certificate.

Applied to every issued invoice and credit note, to every archived document Liasse produces, and
last on a signed contract. Always an incremental update: a PDF/A-3 invoice keeps its embedded
Factur-X XML byte for byte, and earlier signatures on a contract stay valid.
"""

from __future__ import annotations

import uuid

from pyhanko.sign import fields, signers

from signing.pades.incremental import SignatureRequest, sign_incrementally
from signing.pades.profile import PadesProfile


class CompanySeal:
    """The seal signer and its PAdES profile, built once and reused for every seal."""

    def __init__(self, signer: signers.Signer, profile: PadesProfile, company_name: str) -> None:
        self.signer = signer
        self.profile = profile
        self.company_name = company_name

    def seal(self, pdf_bytes: bytes, reason: str = "Cachet de l'entreprise") -> bytes:
        field_name = f"LiasseSeal-{uuid.uuid4().hex[:12]}"
        return sign_incrementally(
            pdf_bytes,
            self.signer,
            self.profile,
            SignatureRequest(field_name=field_name, reason=reason, name=self.company_name),
            new_field=fields.SigFieldSpec(sig_field_name=field_name),  # invisible
        )


def seal_pdf(pdf_bytes: bytes, seal: CompanySeal, *, reason: str | None = None) -> bytes:
    """Seal a PDF with the given company seal (the caller's `Services.seal`: no global)."""
    return seal.seal(pdf_bytes, reason=reason or "Cachet de l'entreprise")
