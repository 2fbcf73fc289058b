"""How an evidence page is recognised in a PDF: a fixed marker line printed on the page.

The marker is visible text (not hidden metadata) so a human reading the PDF sees the same
reference `liasse verify` finds, and it sits inside the signed revisions, so it cannot be added
or removed afterwards without breaking the signatures.
"""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

EVIDENCE_MARKER = "LIASSE-EVIDENCE"


def find_evidence_page(pdf_bytes: bytes) -> int | None:
    """1-based number of the first page carrying the marker, or None."""
    try:
        reader = PdfReader(BytesIO(pdf_bytes))
        for number, page in enumerate(reader.pages, start=1):
            if EVIDENCE_MARKER in (page.extract_text() or ""):
                return number
    except Exception:
        return None
    return None
