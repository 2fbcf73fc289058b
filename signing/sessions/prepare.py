"""Turning an uploaded contract into the document every signer will sign.

At session open: check the inputs (a title of at most 200 characters and signer names without
control or bidi-override characters, a PDF that passes the same content checks as `files
attach`: no JavaScript, no encryption...), append the evidence page (title, SHA-256 of the
contract as uploaded, signers, authentication method, level statement), then add one empty
visible signature field per signer. From then on the document only grows by incremental
signatures.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from pyhanko.sign import fields

from dossiers.files.attachments import AttachmentRefused, check_content
from dossiers.identifiers import forbidden_character
from signing.evidence.identity import AUTH_METHOD_SMS
from signing.evidence.model import EvidenceData, EvidenceEvent, EvidenceSigner, mask_phone
from signing.evidence.page import append_pages, page_count, render_evidence_pdf
from signing.pades.incremental import add_empty_signature_fields
from signing.pades.placement import SignatureBox, boxes_in_a_row
from signing.sessions.errors import InvalidSessionInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_SIGNERS = 10
MAX_TITLE = 200  # characters; the SMS quotes at most SMS_TITLE of them
SMS_TITLE = 60
MAX_NAME, MAX_ROLE, MAX_EMAIL = 200, 50, 254  # the columns' sizes


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


def _text(value: str, limit: int, label_fr: str, label_en: str) -> str:
    """A typed label (title, name, role): at most `limit` characters, no control or bidi
    formatting character (they would show differently on the evidence page than they are)."""
    found = forbidden_character(value)
    if found is not None:
        raise InvalidSessionInput(
            f"Champ « {label_fr} » : caractère interdit {found} (caractère de contrôle ou "
            "d'inversion du sens d'écriture).",
            f"Field '{label_en}': forbidden character {found} (control or bidirectional "
            "override character).",
        )
    if len(value.strip()) > limit:
        raise InvalidSessionInput(
            f"Champ « {label_fr} » : {len(value.strip())} caractères, {limit} caractères au plus.",
            f"Field '{label_en}': {len(value.strip())} characters, at most {limit}.",
        )
    return value.strip()


def check_title(title: str) -> str:
    """The stripped title, or `InvalidSessionInput` (empty, over 200 characters, control or
    bidi-override character)."""
    if not title.strip():
        raise InvalidSessionInput("Le document doit avoir un titre.", "The document needs a title.")
    return _text(title, MAX_TITLE, "titre", "title")


def sms_title(title: str) -> str:
    """The title as quoted in the SMS: cut at `SMS_TITLE` characters (Twilio takes 1,600 at most,
    and a code message should fit in one or two segments)."""
    if len(title) <= SMS_TITLE:
        return title
    return title[: SMS_TITLE - 1].rstrip() + "…"


def check_contract(contract_pdf: bytes) -> None:
    """The contract passes the checks of `files attach` (a PDF, no active content, not
    encrypted, not damaged), or `InvalidSessionInput` says why."""
    try:
        checked = check_content(contract_pdf, name="contrat")
    except AttachmentRefused as exc:
        raise InvalidSessionInput(exc.fr, exc.en) from exc
    if checked.media_type != "application/pdf":
        raise InvalidSessionInput(
            f"Le contrat doit être un PDF (reçu : {checked.media_type}).",
            f"The contract must be a PDF (got: {checked.media_type}).",
        )


def validate_signers(signers: list[SignerSpec]) -> list[str]:
    if not 1 <= len(signers) <= MAX_SIGNERS:
        raise InvalidSessionInput(
            f"Il faut entre 1 et {MAX_SIGNERS} signataires.",
            f"Between 1 and {MAX_SIGNERS} signers are required.",
        )
    for i, signer in enumerate(signers, start=1):
        if not signer.full_name.strip():
            raise InvalidSessionInput(
                "Chaque signataire doit avoir un nom.", "Every signer needs a name."
            )
        _text(signer.full_name, MAX_NAME, f"nom du signataire {i}", f"signer {i}'s name")
        _text(signer.role, MAX_ROLE, f"rôle du signataire {i}", f"signer {i}'s role")
        _text(signer.email, MAX_EMAIL, f"e-mail du signataire {i}", f"signer {i}'s e-mail")
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
    title = check_title(title)
    phones = validate_signers(signers)
    check_contract(contract_pdf)
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
