"""Crafted test documents: clean and hostile PDFs (built with pypdf), images, junk."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject


def pdf(modify: Callable[[PdfWriter], None] | None = None, pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if modify:
        modify(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_open_action_js(writer: PdfWriter) -> None:
    writer.add_open_action(JavaScript("app.alert('pwned');"))


def with_names_javascript(writer: PdfWriter) -> None:
    """Document-level script in the /Names tree (the classic malicious PDF layout)."""
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.launchURL('x')")})
    tree = DictionaryObject({NameObject("/Names"): ArrayObject(
        [TextStringObject("init"), writer._add_object(action)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)})


def with_launch(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"),
        NameObject("/F"): TextStringObject("calc.exe")})


def with_page_aa(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject({
        NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): ArrayObject()})})


def with_attachment(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really")


def encrypted(writer: PdfWriter) -> None:
    writer.encrypt("secret", algorithm="AES-128")


def harmless_goto_open_action(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")])


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def noise_image(fmt: str, size: tuple[int, int] = (200, 200)) -> bytes:
    """A photo-like image (noise compresses badly, so halving the bytes cuts real data)."""
    out = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(out, format=fmt)
    return out.getvalue()
