"""Issue 14 item 9: the same bytes attached twice to a file are refused by content hash, naming
the earlier attachment; nothing is written. Another file may hold the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.blobs import BlobStore
from dossiers.db import transaction
from dossiers.files import service
from dossiers.files.attachments import DuplicateAttachment
from dossiers.files.documents import attach_document
from dossiers.files.models import FileDocument

from . import pdfs
from .helpers import default_circuit, seed


def _counts(db: sessionmaker[Session]) -> tuple[int, int]:
    with db() as s:
        return (s.scalar(select(func.count()).select_from(FileDocument)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_same_pdf_twice_on_one_file_is_refused(db: sessionmaker[Session], tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    customer_id = seed(db)
    with transaction(db) as session:
        file_id = service.start_file(session, customer_id=customer_id,
                                     circuit=default_circuit(), actor="admin").id
        other_id = service.start_file(session, customer_id=customer_id,
                                      circuit=default_circuit(), actor="admin").id
    data = pdfs.pdf(pages=2)
    with transaction(db) as session:
        first = attach_document(session, store, file_id, data=data, original_name="kbis.pdf",
                                kind="supporting_documents", uploaded_by="olga").id
    before = _counts(db)
    with pytest.raises(DuplicateAttachment) as refused, transaction(db) as session:
        attach_document(session, store, file_id, data=data, original_name="kbis-copie.pdf",
                        kind="order_form", uploaded_by="olga")
    assert f"pièce {first}" in refused.value.fr and "« kbis.pdf »" in refused.value.fr
    assert f"document {first}" in refused.value.en
    assert _counts(db) == before
    with transaction(db) as session:  # other bytes on the same file, same bytes elsewhere
        attach_document(session, store, file_id, data=pdfs.pdf(pages=3), original_name="b.pdf",
                        kind="order_form", uploaded_by="olga")
        attach_document(session, store, other_id, data=data, original_name="kbis.pdf",
                        kind="supporting_documents", uploaded_by="olga")
    assert _counts(db)[0] == before[0] + 2
