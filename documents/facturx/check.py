"""Check any Factur-X PDF (ours or a supplier's): embedded XML and PDF/A-3 container.

Without veraPDF we cannot prove full PDF/A-3 conformance, so the container checks are the ones
that matter for Factur-X readers: the XML is attached as `factur-x.xml` in the EmbeddedFiles name
tree and in the catalog's /AF array, the XMP metadata declares PDF/A part 3 and carries the
Factur-X (`fx:`) extension schema, and an OutputIntent is present. Then the XML goes through the
same XSD + EN 16931 + BR-FR checks as our own invoices.
"""

from __future__ import annotations

import io
import re

from facturx import get_facturx_xml_from_pdf
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from documents.facturx.validation import FacturXReport, RuleViolation, validate_cii

FACTURX_FILENAME = "factur-x.xml"


def _embedded_names(root: object) -> list[str]:
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    return [str(names[i]) for i in range(0, len(names), 2)]


def _af_specs(root: object) -> dict[str, str]:
    """File name → AFRelationship of each file specification in the catalog's /AF array."""
    try:
        af = root["/AF"]  # type: ignore[index]
    except (KeyError, TypeError):
        return {}
    specs = {}
    for spec in af:
        spec = spec.get_object()
        specs[str(spec.get("/F") or spec.get("/UF"))] = str(spec.get("/AFRelationship", ""))
    return specs


def pdf_container_problems(pdf: bytes) -> list[RuleViolation]:
    """PDF/A-3 and Factur-X container problems found with pypdf (empty list: all present)."""
    try:
        root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    except (PdfReadError, KeyError, ValueError) as exc:
        return [RuleViolation("PDF", "PDF-READ", f"unreadable PDF: {exc}")]
    problems: list[RuleViolation] = []

    def problem(rule: str, message: str) -> None:
        problems.append(RuleViolation("PDF", rule, message))

    if FACTURX_FILENAME not in _embedded_names(root):
        problem("PDF-EMBEDDED", f"{FACTURX_FILENAME} is not in the EmbeddedFiles name tree")
    af = _af_specs(root)
    if FACTURX_FILENAME not in af:
        problem("PDF-AF", f"{FACTURX_FILENAME} is not referenced by the catalog /AF array")
    elif af[FACTURX_FILENAME] not in ("/Data", "/Source", "/Alternative"):
        problem("PDF-AFRELATIONSHIP",
                f"AFRelationship of {FACTURX_FILENAME} is {af[FACTURX_FILENAME] or 'missing'}")
    if not root.get("/OutputIntents"):
        problem("PDF-OUTPUTINTENT", "no OutputIntent (required by PDF/A)")
    metadata = root.get("/Metadata")
    xmp = metadata.get_object().get_data().decode("utf-8", "replace") if metadata else ""
    if not re.search(r"pdfaid:part(>|=\")\s*3", xmp):
        problem("PDF-XMP-PDFA", "XMP metadata does not declare pdfaid:part 3")
    if "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" not in xmp or "fx:" not in xmp:
        problem("PDF-XMP-FX", "XMP metadata lacks the Factur-X extension schema (fx:)")
    return problems


def check_facturx(pdf_bytes: bytes) -> FacturXReport:
    """Extract the Factur-X XML from a PDF and run container, XSD, EN 16931 and BR-FR checks."""
    container = pdf_container_problems(pdf_bytes)
    try:
        filename, xml = get_facturx_xml_from_pdf(pdf_bytes, check_xsd=False)
    except Exception as exc:  # factur-x raises bare exceptions on broken PDFs
        filename, xml = None, None
        container.append(RuleViolation("PDF", "PDF-XML", f"cannot extract the XML: {exc}"))
    if not xml:
        if not any(v.rule_id == "PDF-XML" for v in container):
            container.append(RuleViolation("PDF", "PDF-XML", "no Factur-X XML attachment found"))
        return FacturXReport(failures=container, checks_run=["PDF"])
    report = validate_cii(xml)
    report.xml_filename = filename
    report.checks_run.insert(0, "PDF")
    report.failures = container + report.failures
    return report
