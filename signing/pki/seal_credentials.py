"""Loading the company seal: a long-lived certificate and key, PKCS#12 or PEM, loaded once.

The seal signs every issued invoice, credit note and archived document, so it is loaded once per
process (cached by path and modification time) rather than decrypted on every seal.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyhanko.sign.signers import SimpleSigner

from signing.certificates import load_pem_certs
from signing.pki.errors import SealCredentialsError

PKCS12_SUFFIXES = {".p12", ".pfx"}


def load_seal_signer(
    cert_path: Path,
    key_path: Path | None = None,
    password: bytes | None = None,
    chain_path: Path | None = None,
) -> SimpleSigner:
    """The seal's pyHanko signer; raises `SealCredentialsError` with the reason if unusable."""
    if not cert_path.is_file():
        raise SealCredentialsError(
            f"Certificat de cachet introuvable : {cert_path}.",
            f"Seal certificate not found: {cert_path}.",
        )
    stat = cert_path.stat()
    return _load_cached(cert_path.resolve(), stat.st_mtime_ns, key_path, password, chain_path)


@lru_cache(maxsize=8)
def _load_cached(
    cert_path: Path,
    _mtime_ns: int,
    key_path: Path | None,
    password: bytes | None,
    chain_path: Path | None,
) -> SimpleSigner:
    chain = load_pem_certs(chain_path) if chain_path else []
    try:
        if cert_path.suffix.lower() in PKCS12_SUFFIXES:
            signer = SimpleSigner.load_pkcs12_data(
                cert_path.read_bytes(), other_certs=chain, passphrase=password
            )
        else:
            certs = load_pem_certs(cert_path)
            signer = SimpleSigner.load(
                key_file=str(key_path or cert_path),
                cert_file=str(cert_path),
                key_passphrase=password,
                other_certs=certs[1:] + chain,
            )
    except Exception as exc:  # pyHanko/cryptography raise many types for a bad file or password
        raise SealCredentialsError(
            f"Impossible de charger le cachet ({cert_path.name}) : mot de passe ou fichier "
            "invalide.",
            f"Cannot load the seal ({cert_path.name}): wrong password or invalid file.",
        ) from exc
    if signer is None or signer.signing_cert is None:
        raise SealCredentialsError(
            f"Le fichier de cachet {cert_path.name} ne contient ni clé ni certificat utilisables.",
            f"The seal file {cert_path.name} holds no usable key and certificate.",
        )
    return signer
