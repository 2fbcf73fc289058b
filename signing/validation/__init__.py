"""Verification of PAdES signatures (pyHanko's validation), for `liasse verify` and the portal."""
