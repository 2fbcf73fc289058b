"""CAdES detached seals over arbitrary bytes (the archived audit-log segments, any non-PDF file).

`seal_pdf` can only seal a PDF; a JSON-lines audit segment gets a detached CMS signature instead:
a CAdES-style SignedData (signing-certificate-v2 and signing-time signed attributes) by the company
seal certificate, plus an RFC 3161 signature timestamp when the seal's profile has a TSA (CAdES
B-T). The file stays byte for byte what was archived; the `.p7s`-style blob sits next to it.

pyHanko 0.38 only exposes the async API for general data; its own sync wrappers call
`asyncio.run`, which fails inside a running event loop (an async web handler, a notebook). `_run`
does the same when no loop runs in this thread, and otherwise runs the coroutine on a fresh loop
in a short-lived thread, so `seal_bytes` is callable from anywhere.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.validation import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from dossiers.i18n import tr
from signing.pades.errors import TimestampUnavailable
from signing.pades.seal import CompanySeal

T = TypeVar("T")
DIGEST_ALGORITHM = "sha256"


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion whether or not an event loop already runs here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(factory))
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(_await(factory))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="cades-sync")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def _await(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


def seal_bytes(
    data: bytes, seal: CompanySeal, *, signing_time: datetime | None = None
) -> bytes:
    """A DER CAdES detached signature over `data` by the company seal (B-T if it has a TSA)."""
    attrs = PdfCMSSignedAttributes(signing_time=signing_time or datetime.now(UTC))
    timestamper = seal.profile.timestamper
    try:
        content_info = _run(lambda: seal.signer.async_sign_general_data(
            data, DIGEST_ALGORITHM, detached=True, use_cades=True,
            timestamper=timestamper, signed_attr_settings=attrs,
        ))
    except (TimestampRequestError, OSError) as exc:
        raise TimestampUnavailable(
            "L'autorité d'horodatage n'a pas répondu ; cachet non apposé.",
            "The time-stamping authority did not answer; no seal applied.",
        ) from exc
    return content_info.dump()


@dataclass(frozen=True)
class DetachedReport:
    """What a detached seal proves about a file: who, when, and whether it can be trusted."""

    ok: bool
    signer: str | None = None
    signing_time: datetime | None = None
    timestamp: datetime | None = None
    problems: tuple[str, ...] = field(default=())


def verify_detached(
    data: bytes, signature: bytes, trust_roots: Sequence[asn1_x509.Certificate],
    *, allow_fetching: bool = False,
) -> DetachedReport:
    """Check a detached CMS signature over `data` against `trust_roots` (offline by default).

    Anything pyHanko cannot parse is a problem in the report, not an exception, so a command
    always prints a verdict.
    """
    try:
        signed_data = _signed_data(signature)
    except ValueError as exc:
        return DetachedReport(False, problems=(
            tr(f"cachet illisible : {exc}", f"unreadable seal: {exc}"),))
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=allow_fetching)
    try:
        status = _run(lambda: async_validate_detached_cms(data, signed_data, context))
    except Exception as exc:
        return DetachedReport(False, problems=(
            tr(f"cachet invalide : {type(exc).__name__}: {exc}",
               f"invalid seal: {type(exc).__name__}: {exc}"),))
    problems = _problems(status)
    ts = status.timestamp_validity
    return DetachedReport(
        ok=bool(status.bottom_line) and not problems,
        signer=_name(status.signing_cert),
        signing_time=status.signer_reported_dt,
        timestamp=ts.timestamp if ts is not None else None,
        problems=tuple(problems),
    )


def _signed_data(signature: bytes) -> cms.SignedData:
    try:
        content_info = cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not a CMS SignedData")
        signed_data = content_info["content"]
        _ = signed_data.native  # a full parse: truncated input fails here, not in the validator
    except ValueError:
        raise
    except Exception as exc:  # asn1crypto raises TypeError/KeyError/... on malformed DER
        raise ValueError(str(exc)) from exc
    return signed_data


def _problems(status: Any) -> list[str]:
    problems = []
    if not status.intact:
        problems.append(tr("empreinte modifiée : le fichier n'est pas celui qui a été scellé",
                           "digest mismatch: the file is not the one that was sealed"))
    if not status.valid:
        problems.append(tr("signature cryptographique invalide", "invalid cryptographic signature"))
    if status.intact and status.valid and not status.trusted:
        problems.append(tr("chaîne non reconnue", "untrusted chain"))
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        problems.append(tr("horodatage invalide", "invalid timestamp"))
    return problems


def _name(cert: asn1_x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)
