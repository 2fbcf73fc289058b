"""What a deposit is asked to do and what came of it; how several invoices make one flow."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass

from dossiers.chorus_deposits.lifecycle import DepositState
from dossiers.chorus_deposits.models import ChorusDeposit


@dataclass(frozen=True)
class DepositRequest:
    invoice_number: str
    pdf: bytes
    customer_id: int | None = None
    file_name: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def resolved_file_name(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", self.invoice_number)[:45]
        return self.file_name or f"{stem}.pdf"


@dataclass(frozen=True)
class DepositOutcome:
    invoice_number: str
    state: DepositState
    sent: bool  # whether this call sent the invoice to Chorus Pro
    flow_number: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, row: ChorusDeposit, *, sent: bool = False) -> DepositOutcome:
        return cls(row.invoice_number, row.state, sent, row.flow_number, row.reason)


def flow_file(requests: Sequence[DepositRequest]) -> tuple[bytes, str]:
    """One PDF as is, several as a `.tar.gz` flow (Chorus Pro's multi-invoice deposit)."""
    if len(requests) == 1:
        return requests[0].pdf, requests[0].resolved_file_name
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for request in requests:
            info = tarfile.TarInfo(request.resolved_file_name)
            info.size = len(request.pdf)
            archive.addfile(info, io.BytesIO(request.pdf))
    digest = hashlib.sha256(b"".join(r.sha256.encode() for r in requests)).hexdigest()[:12]
    return buffer.getvalue(), f"lot-{len(requests)}-{digest}.tar.gz"
