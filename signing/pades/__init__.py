"""PAdES signatures with pyHanko: seal, signers' signatures, timestamps, levels B-T/B-LT/B-LTA."""

from signing.pades.placement import SignatureBox
from signing.pades.profile import PadesLevel, PadesProfile
from signing.pades.seal import CompanySeal, seal_pdf

__all__ = ["CompanySeal", "PadesLevel", "PadesProfile", "SignatureBox", "seal_pdf"]
