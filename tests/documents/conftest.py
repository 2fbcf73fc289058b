"""Fixtures for the documents tests: each sample invoice is built once per test session.

Rendering and the Saxon schematron compilation are the slow parts; building every sample once
keeps the suite fast while each test still asserts on a real Factur-X PDF.
"""

from __future__ import annotations

import pytest

from documents.facturx.issue import FacturXDocument, build_facturx
from documents.facturx.samples import SAMPLES, sample_invoice
from documents.profile import CompanyProfile, demo_profile


@pytest.fixture(scope="session")
def profile() -> CompanyProfile:
    return demo_profile()


@pytest.fixture(scope="session")
def built(profile: CompanyProfile) -> dict[str, FacturXDocument]:
    return {kind: build_facturx(sample_invoice(kind), profile) for kind in SAMPLES}
