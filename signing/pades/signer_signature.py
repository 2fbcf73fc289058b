"""A signer's own PAdES signature on a prepared contract, in the field reserved for them."""

from __future__ import annotations

from pyhanko.sign import signers

from signing.pades.incremental import SignatureRequest, sign_incrementally
from signing.pades.profile import PadesProfile


def sign_field(
    pdf_bytes: bytes,
    field_name: str,
    signer: signers.Signer,
    profile: PadesProfile,
    *,
    signer_name: str,
    reason: str = "Signature du contrat",
    contact: str | None = None,
) -> bytes:
    """Fill the existing, empty visible field `field_name`; returns the new revision."""
    return sign_incrementally(
        pdf_bytes,
        signer,
        profile,
        SignatureRequest(
            field_name=field_name, reason=reason, name=signer_name, contact_info=contact
        ),
    )
