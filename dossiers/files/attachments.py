"""Content checks for documents attached to a file: judged by their bytes, never their name.

Accepted: PDF, PNG, JPEG, TIFF, up to a size limit. The type is sniffed from the bytes
(`filetype`); images must decode completely (Pillow), PDFs must parse (pypdf), end with `%%EOF`,
have pages, and carry nothing active: no encryption (it hides the content from these checks and
from the archive), no JavaScript, launch or submit actions, no automatic actions (/AA), no
embedded files, no XFA forms. Office files are refused: they can carry macros and are not
archivable as such; customers send a PDF instead. The same bytes are not attached twice to a
file (`refuse_duplicate`). Signing sessions reuse `check_content` for the contracts they open.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import filetype
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from dossiers.blobs import sha256_hex
from dossiers.errors import ExitCode, ValidationError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ACCEPTED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tif",
}
# Dictionary keys that make a PDF active or let it smuggle content.
DANGEROUS_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions automatiques (/AA)",
    "/Launch": "lancement de programme (/Launch)",
    "/EmbeddedFiles": "fichiers incorporés",
    "/EmbeddedFile": "fichiers incorporés",
    "/XFA": "formulaire XFA",
    "/RichMedia": "contenu multimédia actif",
}
# Action types (/S) that run code, open other programs or send data out.
DANGEROUS_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE",
                     "/RichMediaExecute", "/Rendition"}
_RAW_MARKERS = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles)(?=[\s/<>\[\]()%]|$)")


class AttachmentRefused(ValidationError):
    """The upload failed a content check; nothing was stored."""


class DuplicateAttachment(AttachmentRefused):
    """The same bytes are already attached to the file (same SHA-256); nothing was stored."""

    exit_code = ExitCode.CONFLICT  # a duplicate, in the exit-code contract


class AttachedDocument(Protocol):
    id: int
    sha256: str
    original_name: str
    kind: str
    step_seq: int | None


@dataclass(frozen=True)
class CheckedContent:
    media_type: str
    extension: str
    size: int
    sha256: str


def check_content(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  name: str = "document") -> CheckedContent:
    """Accept `data` or raise `AttachmentRefused` saying why, in one sentence."""
    if not data:
        raise AttachmentRefused(f"« {name} » est vide.", f"'{name}' is empty.")
    if len(data) > max_bytes:
        raise AttachmentRefused(
            f"« {name} » pèse {_mb(len(data), 'Mo')}, au-delà de la limite de "
            f"{_mb(max_bytes, 'Mo')}.",
            f"'{name}' weighs {_mb(len(data), 'MB')}, over the {_mb(max_bytes, 'MB')} limit.",
        )
    kind = filetype.guess(data)
    media_type = kind.mime if kind else "inconnu"
    if media_type not in ACCEPTED_TYPES:
        raise AttachmentRefused(
            f"« {name} » est de type {media_type} d'après son contenu : seuls PDF, PNG, JPEG "
            "et TIFF sont acceptés.",
            f"'{name}' is of type {media_type} judging by its content: only PDF, PNG, JPEG "
            "and TIFF are accepted.",
        )
    if media_type == "application/pdf":
        _check_pdf(data, name)
    else:
        _check_image(data, name, media_type)
    return CheckedContent(media_type, ACCEPTED_TYPES[media_type], len(data), sha256_hex(data))


def refuse_duplicate(attached: Iterable[AttachedDocument], sha256: str, *, name: str, kind: str,
                     step_seq: int | None) -> None:
    """Refuse bytes already attached to the file, naming the earlier attachment.

    The same bytes twice in one step, or under another kind, are a mistake. The same document
    presented again for the same purpose at a later pass of the circuit (a rejection sent the file
    back; a contract redrafted from unchanged data renders byte for byte the same) is accepted.
    """
    for earlier in attached:
        if earlier.sha256 != sha256:
            continue
        if earlier.step_seq == step_seq or earlier.kind != kind:
            raise DuplicateAttachment(
                f"« {name} » est identique à la pièce {earlier.id} « {earlier.original_name} » "
                "déjà jointe à ce dossier (même empreinte SHA-256) : doublon refusé.",
                f"'{name}' is identical to document {earlier.id} '{earlier.original_name}' "
                "already attached to this file (same SHA-256): duplicate refused.",
            )


def _check_image(data: bytes, name: str, media_type: str) -> None:
    """The image must decode and be complete.

    Completeness is checked structurally rather than through Pillow's truncation error, because
    WeasyPrint sets `ImageFile.LOAD_TRUNCATED_IMAGES = True` for the whole process on import,
    after which Pillow silently pads truncated images.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                complete = _image_complete(image, data, media_type)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise AttachmentRefused(
            f"L'image « {name} » est illisible ou tronquée ({exc}).",
            f"Image '{name}' is unreadable or truncated ({exc}).",
        ) from exc
    if not complete:
        raise AttachmentRefused(f"L'image « {name} » est tronquée.",
                                f"Image '{name}' is truncated.")


def _image_complete(image: Image.Image, data: bytes, media_type: str) -> bool:
    if media_type == "image/png":
        image.verify()  # reads every chunk to IEND, checking CRCs; raises when cut short
        return True
    if media_type == "image/jpeg":
        return data.rstrip(b"\x00\r\n\t ").endswith(b"\xff\xd9")  # End Of Image marker
    # TIFF: every strip or tile of every page must lie inside the file.
    for frame in range(getattr(image, "n_frames", 1)):
        image.seek(frame)
        tags = image.tag_v2  # type: ignore[attr-defined]
        offsets = tags.get(273) or tags.get(324) or ()
        counts = tags.get(279) or tags.get(325) or ()
        if not offsets or len(offsets) != len(counts):
            return False
        if any(o + c > len(data) for o, c in zip(offsets, counts, strict=True)):
            return False
    return True


def _check_pdf(data: bytes, name: str) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise _damaged(name, "pas de marque de fin %%EOF", "no %%EOF end marker")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise AttachmentRefused(
                f"Le PDF « {name} » est chiffré : envoyez-le sans mot de passe ni protection.",
                f"PDF '{name}' is encrypted: send it without password or protection.",
            )
        if len(reader.pages) < 1:
            raise _damaged(name, "aucune page", "no page")
        found = _active_content(reader.trailer)
    except AttachmentRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            OSError) as exc:
        raise _damaged(name, str(exc) or type(exc).__name__, str(exc) or type(exc).__name__)\
            from exc
    if found is None:
        marker = _RAW_MARKERS.search(data)
        found = f"/{marker.group(1).decode()}" if marker else None
    if found is not None:
        what = DANGEROUS_KEYS.get(found, f"action {found}")
        raise AttachmentRefused(
            f"Le PDF « {name} » contient du contenu actif ({what}) : il est refusé.",
            f"PDF '{name}' carries active content ({found}): it is refused.",
        )


def _active_content(root: Any) -> str | None:
    """The first dangerous key or action found walking the object graph from the trailer."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            stack.append(node.get_object())
        elif isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in DANGEROUS_KEYS:
                    return str(key)
                if key == "/S" and str(value) in DANGEROUS_ACTIONS:
                    return str(value)
                if key not in ("/Parent", "/P"):
                    stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def _damaged(name: str, detail_fr: str, detail_en: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"Le PDF « {name} » est tronqué ou endommagé ({detail_fr}).",
        f"PDF '{name}' is truncated or damaged ({detail_en}).",
    )


def _mb(size: int, unit: str) -> str:
    return f"{size / (1024 * 1024):.1f} {unit}"
