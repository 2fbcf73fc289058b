"""Contracts, with signature boxes at known coordinates for the signing step.

The signatures go on a dedicated last page whose layout is fixed: box *i* sits in column
`i % 2`, row `i // 2`, at the millimetre positions below. The same numbers drive the CSS and the
returned `SignatureBox` data, so the signing code (pyHanko visible signature fields) places each
field exactly over its printed box, without parsing the PDF layout.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from pypdf import PdfReader

from documents.errors import DocumentError
from documents.postal_address import PostalRecipient, format_address
from documents.profile import CompanyProfile
from documents.rendering import html_to_pdf, render_html

MM_TO_PT = 72 / 25.4
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210.0, 297.0
PAGE_MARGIN_TOP_MM, PAGE_MARGIN_LEFT_MM = 18.0, 16.0  # must match style.css @page
BOX_WIDTH_MM, BOX_HEIGHT_MM = 85.0, 40.0
BOX_LEFT_MM = (16.0, 109.0)  # page coordinates of the two columns
BOX_TOP_MM = 70.0  # page coordinate of the first row's top edge
ROW_PITCH_MM = 52.0
MAX_SIGNERS = 8


@dataclass(frozen=True)
class Clause:
    title: str
    text: str


@dataclass(frozen=True)
class Signer:
    name: str
    role: str  # "Le client", "Pour Éditions Liasse, la directrice commerciale"...
    email: str | None = None
    key: str | None = None  # caller's identifier for the signer (customer id, staff id)


@dataclass(frozen=True)
class Contract:
    number: str
    title: str
    issued_on: date
    customer: PostalRecipient
    clauses: tuple[Clause, ...]
    signers: tuple[Signer, ...]
    place: str | None = None
    language: str = "fr"


@dataclass(frozen=True)
class SignatureBox:
    """Where a signer signs. Millimetres from the page's top-left; PDF points from bottom-left."""

    signer: Signer
    index: int
    page_index: int  # 0-based page number in the rendered PDF (the last page)
    left_mm: float
    top_mm: float
    width_mm: float
    height_mm: float

    @property
    def pdf_rect(self) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2) in PDF points, origin bottom-left, as pyHanko's `box` expects."""
        x1 = self.left_mm * MM_TO_PT
        y1 = (PAGE_HEIGHT_MM - self.top_mm - self.height_mm) * MM_TO_PT
        return (
            round(x1, 2),
            round(y1, 2),
            round(x1 + self.width_mm * MM_TO_PT, 2),
            round(y1 + self.height_mm * MM_TO_PT, 2),
        )

    @property
    def field_name(self) -> str:
        return f"Signature{self.index + 1}"


@dataclass(frozen=True)
class RenderedContract:
    pdf: bytes
    boxes: tuple[SignatureBox, ...]


def box_position(index: int) -> tuple[float, float]:
    """(left, top) in mm on the page for the signer at `index`."""
    return BOX_LEFT_MM[index % 2], BOX_TOP_MM + (index // 2) * ROW_PITCH_MM


def render_contract(contract: Contract, profile: CompanyProfile) -> RenderedContract:
    if not contract.signers:
        raise DocumentError(
            "Un contrat doit avoir au moins un signataire.", "A contract needs at least one signer."
        )
    if len(contract.signers) > MAX_SIGNERS:
        raise DocumentError(
            f"Trop de signataires : {len(contract.signers)} (au plus {MAX_SIGNERS}).",
            f"Too many signers: {len(contract.signers)} (at most {MAX_SIGNERS}).",
        )
    slots = [
        {
            "signer": signer,
            "number": i + 1,
            # CSS offsets are relative to the page content box (inside the margins).
            "left": box_position(i)[0] - PAGE_MARGIN_LEFT_MM,
            "top": box_position(i)[1] - PAGE_MARGIN_TOP_MM,
            "width": BOX_WIDTH_MM,
            "height": BOX_HEIGHT_MM,
        }
        for i, signer in enumerate(contract.signers)
    ]
    context = {"contract": contract, "address": format_address(contract.customer), "slots": slots}
    html = render_html("contract.html", context, profile=profile, language=contract.language)
    pdf = html_to_pdf(html)
    last_page = len(PdfReader(io.BytesIO(pdf)).pages) - 1
    boxes = tuple(
        SignatureBox(signer, i, last_page, *box_position(i), BOX_WIDTH_MM, BOX_HEIGHT_MM)
        for i, signer in enumerate(contract.signers)
    )
    return RenderedContract(pdf=pdf, boxes=boxes)
