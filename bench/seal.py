"""Seal throughput: milliseconds per company seal on a one-page invoice PDF.

Runs fully offline on a throw-away demo PKI (generated in a temporary folder) with the in-process
RFC 3161 TSA, so the figure measures Liasse + pyHanko, not a network. Prints B-B (no timestamp)
and B-T (default level). Usage: `.venv/bin/python -m bench.seal [count]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import weasyprint

from signing.pades.profile import PadesLevel
from signing.pades.seal import CompanySeal
from signing.pki.signing_pki import build_signing_pki
from signing.settings import SigningSettings


def _invoice() -> bytes:
    html = "<h1>Facture F2026-000001</h1><p>Total TTC : 120,00 €</p>"
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")


def measure(seal: CompanySeal, pdf: bytes, count: int) -> list[float]:
    seal.seal(pdf)  # warm-up: imports, caches
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        seal.seal(pdf)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as home:
        pki = build_signing_pki(SigningSettings(home=Path(home)))
        pdf = _invoice()
        for level in (PadesLevel.B_B, PadesLevel.B_T):
            seal = CompanySeal(pki.seal_signer, pki.profile(level), "Liasse bench")
            timings = measure(seal, pdf, count)
            print(
                f"seal {level.value:5}: {statistics.mean(timings):6.1f} ms/seal mean, "
                f"{statistics.median(timings):6.1f} median, {max(timings):6.1f} max "
                f"({count} seals, {1000 / statistics.mean(timings):5.1f} seals/s, one core)"
            )


if __name__ == "__main__":
    main()
