"""PDF/A-3 container checks that do not need veraPDF."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader, PdfWriter

from documents.facturx.check import check_facturx, pdf_container_problems
from documents.facturx.issue import FacturXDocument
from documents.rendering import html_to_pdf


def test_facturx_pdf_container(built: dict[str, FacturXDocument]) -> None:
    reader = PdfReader(io.BytesIO(built["vat_rates"].pdf))
    root = reader.trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml"
    spec = root["/AF"][0].get_object()
    assert spec["/F"] == "factur-x.xml"
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/EF"]["/F"].get_object().get_data() == built["vat_rates"].xml
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"<pdfaid:part>3</pdfaid:part>", xmp)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>", xmp)
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert pdf_container_problems(built["vat_rates"].pdf) == []


def test_every_font_is_embedded(built: dict[str, FacturXDocument]) -> None:
    reader = PdfReader(io.BytesIO(built["discount"].pdf))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font)["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def test_plain_pdf_is_not_facturx() -> None:
    report = check_facturx(html_to_pdf("<p>Bonjour</p>"))
    assert not report.ok
    assert {"PDF-EMBEDDED", "PDF-AF", "PDF-XML"} <= set(report.failed_rule_ids)


def test_attachment_removed_is_detected(built: dict[str, FacturXDocument]) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(built["exempt"].pdf))
    del writer.root_object["/AF"]
    out = io.BytesIO()
    writer.write(out)
    report = check_facturx(out.getvalue())
    assert report.failed_rule_ids == ["PDF-AF"]
