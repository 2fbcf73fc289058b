"""Rendering and Factur-X validation timings.

Run: `.venv/bin/python -m bench.facturx_documents [ROUNDS]`. Prints, in milliseconds, the one-off
schematron compilation, then median and max per invoice for: CII XML generation, validation
(XSD + EN 16931 + BR-FR), HTML rendering, PDF/A-3b rendering, Factur-X embedding, the whole
`build_facturx`, and `check_facturx` on the result.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from documents.facturx.check import check_facturx
from documents.facturx.cii import cii_xml_bytes
from documents.facturx.issue import build_facturx, embed_facturx, invoice_html
from documents.facturx.mentions import with_legal_notes
from documents.facturx.samples import SAMPLES, sample_invoice
from documents.facturx.validation import validate_cii, warm_up
from documents.profile import demo_profile
from documents.rendering import html_to_pdf


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def main(rounds: int = 3) -> None:
    profile = demo_profile()
    compile_ms, _ = timed(warm_up)
    print(f"schematron compilation (once per process): {compile_ms:.0f} ms")
    build_facturx(sample_invoice("vat_rates"), profile)  # warm WeasyPrint/fontconfig caches
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind in SAMPLES:
            invoice = with_legal_notes(sample_invoice(kind), profile)
            t_xml, xml = timed(lambda inv=invoice: cii_xml_bytes(inv))
            t_val, report = timed(lambda x=xml: validate_cii(x))
            assert report.ok, report.failures
            t_html, html = timed(lambda inv=invoice: invoice_html(inv, profile))
            t_pdf, pdf = timed(lambda h=html: html_to_pdf(h))
            t_embed, fx = timed(lambda p=pdf, x=xml, inv=invoice: embed_facturx(p, x, inv))
            t_all, _ = timed(lambda inv=invoice: build_facturx(inv, profile))
            t_check, checked = timed(lambda f=fx: check_facturx(f))
            assert checked.ok
            for name, value in (
                ("CII XML generation", t_xml), ("validation XSD+EN16931+BR-FR", t_val),
                ("HTML (Jinja2)", t_html), ("PDF/A-3b (WeasyPrint)", t_pdf),
                ("Factur-X embedding", t_embed), ("build_facturx total", t_all),
                ("check_facturx on a PDF", t_check),
            ):
                samples.setdefault(name, []).append(value)
    count = rounds * len(SAMPLES)
    print(f"{count} invoices ({len(SAMPLES)} samples × {rounds} rounds):")
    for name, values in samples.items():
        print(f"  {name:32s} median {statistics.median(values):7.1f} ms   "
              f"max {max(values):7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
