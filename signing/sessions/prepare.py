"""Turning an uploaded contract into the document every signer will sign.

At session open: check the inputs, append the evidence page (title, SHA-256 of the contract as
uploaded, signers, authentication method, level statement), then add one empty visible signature
field per signer. From then on the document only grows by incremental signatures.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from pyhanko.sign import fields

from signing.evidence.identity import AUTH_METHOD_SMS
from signing.evidence.model import EvidenceData, EvidenceEvent, EvidenceSigner, mask_phone
from signing.evidence.page import append_pages, page_count, render_evidence_pdf
from signing.pades.incremental import add_empty_signature_fields
from signing.pades.placement import SignatureBox, boxes_in_a_row
from signing.sessions.errors import InvalidSessionInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_SIGNERS = 10


@dataclass(frozen=True)
class SignerSpec:
    full_name: str
    email: str
    phone: str
    role: str
    box: SignatureBox | None = None


@dataclass(frozen=True)
class PreparedContract:
    pdf: bytes
    original_sha256: str
    phones: list[str]  # E.164, in signer order
    field_names: list[str]
    boxes: list[SignatureBox]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalise_phone(raw: str) -> str:
    try:
        parsed = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException as exc:
        raise InvalidSessionInput(
            f"Numéro de téléphone illisible : {raw}.", f"Unreadable phone number: {raw}."
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidSessionInput(
            f"Numéro de téléphone invalide : {raw}.", f"Invalid phone number: {raw}."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_signers(signers: list[SignerSpec]) -> list[str]:
    if not 1 <= len(signers) <= MAX_SIGNERS:
        raise InvalidSessionInput(
            f"Il faut entre 1 et {MAX_SIGNERS} signataires.",
            f"Between 1 and {MAX_SIGNERS} signers are required.",
        )
    for signer in signers:
        if not signer.full_name.strip():
            raise InvalidSessionInput(
                "Chaque signataire doit avoir un nom.", "Every signer needs a name."
            )
        if not EMAIL.match(signer.email):
            raise InvalidSessionInput(
                f"Adresse e-mail invalide : {signer.email}.",
                f"Invalid e-mail address: {signer.email}.",
            )
    emails = [s.email.lower() for s in signers]
    if len(set(emails)) != len(emails):
        raise InvalidSessionInput(
            "Deux signataires ont la même adresse e-mail.",
            "Two signers share the same e-mail address.",
        )
    return [normalise_phone(s.phone) for s in signers]


def prepare_contract(
    contract_pdf: bytes,
    title: str,
    reference: str,
    signers: list[SignerSpec],
    opened_at: datetime,
    opened_by: str,
) -> PreparedContract:
    if not title.strip():
        raise InvalidSessionInput("Le document doit avoir un titre.", "The document needs a title.")
    phones = validate_signers(signers)
    pages = page_count(contract_pdf)
    original_sha = sha256_hex(contract_pdf)
    defaults = boxes_in_a_row(len(signers))
    boxes = [_absolute(s.box or defaults[i], pages) for i, s in enumerate(signers)]
    evidence = EvidenceData(
        reference=reference,
        title=title,
        document_sha256=original_sha,
        signers=[
            EvidenceSigner(
                i + 1, s.full_name, s.email, mask_phone(phones[i]), s.role, AUTH_METHOD_SMS
            )
            for i, s in enumerate(signers)
        ],
        events=[EvidenceEvent(opened_at, opened_by, "Session ouverte / session opened")],
    )
    with_evidence = append_pages(contract_pdf, render_evidence_pdf(evidence))
    field_names = [f"Signature{i + 1}" for i in range(len(signers))]
    specs = [
        fields.SigFieldSpec(sig_field_name=name, on_page=box.page, box=box.rect)
        for name, box in zip(field_names, boxes, strict=True)
    ]
    prepared = add_empty_signature_fields(with_evidence, specs)
    return PreparedContract(prepared, original_sha, phones, field_names, boxes)


def _absolute(box: SignatureBox, pages: int) -> SignatureBox:
    """Negative page numbers count from the end of the *contract*, before the evidence page."""
    page = box.page if box.page >= 0 else pages + box.page
    if not 0 <= page < pages:
        raise InvalidSessionInput(
            f"Page {box.page} hors du contrat ({pages} pages).",
            f"Page {box.page} is outside the contract ({pages} pages).",
        )
    return SignatureBox(box.x1, box.y1, box.x2, box.y2, page)
