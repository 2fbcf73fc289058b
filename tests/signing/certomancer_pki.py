"""A real test PKI on localhost: certomancer's Animator serves a CA, a TSA, OCSP and CRLs.

Keys are generated fresh (P-256, with `cryptography`) into a temporary folder, the certomancer
configuration is written around them, and the WSGI Animator runs in a werkzeug server thread on
a free port of 127.0.0.1. Liasse's signing CA is the `signing-ca` entity: the test hands its key
to `SigningCA`, which issues one-time certificates whose CRL distribution point is certomancer's
CRL for that CA, so B-LT signatures fetch real revocation information, offline.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from asn1crypto import pem
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from werkzeug.serving import WSGIRequestHandler, make_server

from signing.pki.x509_build import key_pem, new_key

ARCH = "liasse-test"
VALIDITY = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2100-01-01T00:00:00+0000"}


def _ca_extensions(crl_repo: str | None) -> list[dict]:
    extensions: list[dict] = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {
                "schema": "key-usage",
                "params": ["digital_signature", "key_cert_sign", "crl_sign"],
            },
        },
    ]
    if crl_repo:
        extensions.append(_crl_dp(crl_repo))
    return extensions


def _crl_dp(repo: str) -> dict:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


def _ocsp_aia(responder: str) -> dict:
    return {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [responder]}},
    }


def _leaf(usages: list[str], *extra: dict) -> list[dict]:
    return [
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {"schema": "key-usage", "params": usages},
        },
        *extra,
    ]


def build_config(key_dir: Path, url_prefix: str) -> dict:
    labels = ["root", "signing-ca", "seal", "tsa", "ocsp"]
    for label in labels:
        (key_dir / f"{label}.key.pem").write_bytes(key_pem(new_key()))
    return {
        "external-url-prefix": url_prefix,
        "keysets": {
            ARCH: {
                "path-prefix": str(key_dir),
                "keys": {label: {"path": f"{label}.key.pem"} for label in labels},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "FR", "organization-name": "Liasse Test"},
                "entities": {
                    "root": {"common-name": "Liasse Test Root"},
                    "signing-ca": {"common-name": "Liasse Signing CA"},
                    "seal": {"common-name": "Liasse Test Seal"},
                    "tsa": {"common-name": "Liasse Test TSA"},
                    "ocsp": {"common-name": "Liasse Test OCSP"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": VALIDITY,
                        "extensions": _ca_extensions(None),
                    },
                    "signing-ca": {
                        "issuer": "root",
                        "validity": VALIDITY,
                        "extensions": _ca_extensions("root"),
                    },
                    "seal": {
                        "issuer": "root",
                        "validity": VALIDITY,
                        "extensions": _leaf(
                            ["digital_signature", "non_repudiation"],
                            _crl_dp("root"),
                            _ocsp_aia("root"),
                        ),
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": VALIDITY,
                        "extensions": _leaf(
                            ["digital_signature"],
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                            _crl_dp("root"),
                        ),
                    },
                    "ocsp": {
                        "issuer": "root",
                        "validity": VALIDITY,
                        "extensions": _leaf(
                            ["digital_signature"],
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["ocsp_signing"],
                            },
                            {"id": "ocsp_no_check"},
                        ),
                    },
                },
                "services": {
                    "ocsp": {
                        "root": {
                            "for-issuer": "root",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P30D",
                        },
                        "signing-ca": {
                            "for-issuer": "signing-ca",
                            "signing-key": "signing-ca",
                            "simulated-update-schedule": "P30D",
                        },
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


@dataclass(frozen=True)
class TestPki:
    """Where the running test PKI lives and what a test needs from it."""

    folder: Path
    base_url: str

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def signing_ca_crl_url(self) -> str:
        return f"{self.base_url}/{ARCH}/crls/signing-ca/latest.crl"

    def cert_path(self, label: str) -> Path:
        return self.folder / f"{label}.cert.pem"

    def key_path(self, label: str) -> Path:
        return self.folder / f"{label}.key.pem"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Keep test output readable: no access log line per CRL/TSA request."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_test_pki(folder: Path) -> Iterator[TestPki]:
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    config_dict = build_config(folder, base_url)
    (folder / "certomancer.yml").write_text(yaml.safe_dump(config_dict))
    config = CertomancerConfig(config_dict, key_search_dir=str(folder))
    arch = config.get_pki_arch(ARCH)
    for label in ("root", "signing-ca", "seal", "tsa", "ocsp"):
        (folder / f"{label}.cert.pem").write_bytes(
            pem.armor("CERTIFICATE", arch.get_cert(label).dump())
        )
    animator = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    server = make_server("127.0.0.1", port, animator, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestPki(folder=folder, base_url=base_url)
    finally:
        server.shutdown()
        thread.join(timeout=5)
