"""A minimal Factur-X check (embedded XML against the XSD), for the demo and the benchmark.

Production injects the documents package's full `check_facturx` (container, XSD, EN 16931 and
BR-FR schematrons); this one is what Chorus Pro itself enforces on deposit, at XSD speed.
"""

from __future__ import annotations

from facturx import xml_check_xsd

from connectors.chorus_pro.routing import NoFacturXData, extract_xml


def xsd_only_check(pdf: bytes) -> list[str]:
    try:
        xml_check_xsd(extract_xml(pdf))
    except NoFacturXData as exc:
        return [str(exc)]
    except Exception as exc:  # factur-x raises a bare Exception carrying lxml's message
        return [" ".join(str(exc).split())]
    return []
