"""PDF pages rendered to PNG on the server, so the step page previews a document in the page
on any device (phones and some browsers have no built-in PDF viewer in a frame).

Poppler's `pdftoppm` (Debian's poppler-utils, installed by `scripts/install-system-deps.sh`)
renders one page per request from the bytes on standard input, with a time limit; the
documents were content-checked at upload (`dossiers.files.attachments`: no scripts, no launch
actions). Without `pdftoppm` the page shows the browser's viewer only.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from dossiers.errors import NotFound

MAX_PREVIEW_PAGES = 5
DPI = 80
TIMEOUT_SECONDS = 20


def available() -> bool:
    return shutil.which("pdftoppm") is not None


def page_count(data: bytes) -> int:
    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, OSError):
        return 0


def render_page(data: bytes, page: int) -> bytes:
    """Page `page` (1-based) as PNG; NotFound when it cannot be rendered."""
    exe = shutil.which("pdftoppm")
    if exe is None or not 1 <= page <= min(page_count(data), MAX_PREVIEW_PAGES):
        raise NotFound(f"Page {page} sans aperçu.", f"No preview for page {page}.")
    try:
        done = subprocess.run(
            [exe, "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile", "-"],
            input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        raise NotFound(f"Page {page} sans aperçu (rendu trop long).",
                       f"No preview for page {page} (rendering took too long).") from None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise NotFound(f"Page {page} sans aperçu.", f"No preview for page {page}.")
    return done.stdout
