"""Liasse's signing PKI: signing CA (one-time signer certificates), company seal, trust roots."""
