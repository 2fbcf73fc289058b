"""Generating and hashing codes. Only the keyed hash is ever stored.

The HMAC covers the signer reference and the SHA-256 of the document shown as well as the code,
so a code is bound to one signer and one exact document: even a database row copied onto
another signer or document would not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def code_hash(key: bytes, signer_ref: str, document_sha256: str, code: str) -> str:
    message = "\x1f".join(("liasse-otp-v1", signer_ref, document_sha256, code)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(stored_hash: str, key: bytes, signer_ref: str, document_sha256: str, code: str) -> bool:
    """Constant-time comparison of a typed code against the stored hash."""
    candidate = code_hash(key, signer_ref, document_sha256, code.strip())
    return hmac.compare_digest(stored_hash, candidate)
