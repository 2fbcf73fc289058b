"""Render the evidence page (HTML -> PDF with WeasyPrint) and append it to a contract (pypdf).

The page is appended to the *unsigned* contract when the signing session opens, so every
signer's signature covers it: the document, its hash and the signer list cannot be changed
afterwards. Events happen later; they are recorded in the audit trail and rendered with the same
template into the final evidence certificate, sealed once the session completes.
"""

from __future__ import annotations

from io import BytesIO

import weasyprint
from jinja2 import Environment, PackageLoader, select_autoescape
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from signing.evidence.errors import EvidenceError
from signing.evidence.identity import level_statement
from signing.evidence.marker import EVIDENCE_MARKER
from signing.evidence.model import EvidenceData

_env = Environment(
    loader=PackageLoader("signing.evidence", "templates"), autoescape=select_autoescape(["html"])
)


def render_evidence_pdf(data: EvidenceData) -> bytes:
    level_fr, level_en = level_statement(data.identity_checked)
    html = _env.get_template("evidence.html").render(
        data=data, level_fr=level_fr, level_en=level_en, marker=EVIDENCE_MARKER
    )
    return weasyprint.HTML(string=html).write_pdf()


def append_pages(contract_pdf: bytes, extra_pdf: bytes) -> bytes:
    """The contract followed by the pages of `extra_pdf` (only for unsigned documents)."""
    try:
        writer = PdfWriter(clone_from=PdfReader(BytesIO(contract_pdf)))
        writer.append(PdfReader(BytesIO(extra_pdf)))
    except (PyPdfError, ValueError, KeyError) as exc:
        raise EvidenceError(
            "Impossible d'ajouter la page de preuve : le contrat n'est pas un PDF lisible.",
            "Cannot append the evidence page: the contract is not a readable PDF.",
        ) from exc
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def page_count(pdf_bytes: bytes) -> int:
    try:
        return len(PdfReader(BytesIO(pdf_bytes)).pages)
    except (PyPdfError, ValueError, KeyError) as exc:
        raise EvidenceError(
            "Le contrat n'est pas un PDF lisible.", "The contract is not a readable PDF."
        ) from exc
