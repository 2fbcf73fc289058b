"""Attachments are judged by their bytes: type sniffing, size, hostile or damaged PDFs."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers.audit import AuditEvent
from dossiers.blobs import BlobStore, sha256_hex
from dossiers.db import transaction
from dossiers.errors import ConflictError, IllegalTransition, ValidationError
from dossiers.files import service
from dossiers.files.attachments import DEFAULT_MAX_BYTES, AttachmentRefused, check_content
from dossiers.files.documents import attach_document, mark_archived, release_archived_blobs
from dossiers.files.models import FileDocument
from dossiers.files.states import FileState

from . import pdfs
from .helpers import at, default_circuit, seed


# --- content checks (pure) -----------------------------------------------------------------
@pytest.mark.parametrize(("data", "media_type"), [
    (pdfs.pdf(pages=2), "application/pdf"),
    (pdfs.pdf(pdfs.harmless_goto_open_action), "application/pdf"),
    (pdfs.png(), "image/png"),
    (pdfs.image("JPEG"), "image/jpeg"),
    (pdfs.image("TIFF"), "image/tiff"),
], ids=["pdf", "pdf-goto", "png", "jpeg", "tiff"])
def test_accepted_documents(data: bytes, media_type: str) -> None:
    checked = check_content(data, name="x")
    assert (checked.media_type, checked.size, checked.sha256) == (
        media_type, len(data), sha256_hex(data))


@pytest.mark.parametrize(("craft", "needle"), [
    (pdfs.with_open_action_js, "JavaScript"),
    (pdfs.with_names_javascript, "JavaScript"),
    (pdfs.with_launch, "Launch"),
    (pdfs.with_page_aa, "/AA"),
    (pdfs.with_attachment, "fichiers incorporés"),
], ids=["open-action-js", "names-js", "launch", "page-aa", "embedded-file"])
def test_active_pdfs_refused(craft, needle: str) -> None:
    with pytest.raises(AttachmentRefused, match=f"contenu actif .*{needle}"):
        check_content(pdfs.pdf(craft), name="bon.pdf")


def test_obfuscated_javascript_name_is_still_found() -> None:
    """`/J#61vaScript` is `/JavaScript` once parsed: the byte scan alone would miss it."""
    data = pdfs.pdf(pdfs.with_names_javascript).replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in data
    with pytest.raises(AttachmentRefused, match="contenu actif"):
        check_content(data, name="x.pdf")


def test_encrypted_pdf_refused() -> None:
    with pytest.raises(AttachmentRefused, match="chiffré"):
        check_content(pdfs.pdf(pdfs.encrypted), name="contrat.pdf")


@pytest.mark.parametrize("data", [
    pdfs.pdf()[:300],
    b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n",
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
], ids=["truncated", "garbage", "no-pages"])
def test_truncated_or_garbage_pdf_refused(data: bytes) -> None:
    with pytest.raises(AttachmentRefused, match="tronqué ou endommagé"):
        check_content(data, name="scan.pdf")


def test_type_comes_from_bytes_not_name() -> None:
    """A PNG named `.pdf` is recorded as a PNG; a ZIP named `.pdf` is refused."""
    assert check_content(pdfs.png(), name="kbis.pdf").media_type == "image/png"
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(AttachmentRefused, match="application/zip"):
        check_content(archive.getvalue(), name="facture.pdf")
    with pytest.raises(AttachmentRefused, match="x-msdownload"):
        check_content(b"MZ\x90\x00 a Windows program", name="rib.pdf")
    with pytest.raises(AttachmentRefused, match="inconnu"):
        check_content(b"just some text, named like a PDF", name="rib.pdf")


def test_size_limit_and_empty() -> None:
    data = pdfs.pdf()
    with pytest.raises(AttachmentRefused, match="au-delà de la limite"):
        check_content(data, max_bytes=len(data) - 1, name="gros.pdf")
    assert check_content(data, max_bytes=len(data)).size == len(data)
    with pytest.raises(AttachmentRefused, match="vide"):
        check_content(b"", name="rien.pdf")


def test_default_limit_is_20_mb() -> None:
    oversized = b"%PDF-1.7\n" + b"0" * DEFAULT_MAX_BYTES
    with pytest.raises(AttachmentRefused, match=r"20\.0 Mo"):
        check_content(oversized, name="scan.pdf")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_truncated_images_refused_even_after_weasyprint_import(fmt: str) -> None:
    """WeasyPrint makes Pillow pad truncated images process-wide; the check must not care."""
    import weasyprint  # noqa: F401  (sets ImageFile.LOAD_TRUNCATED_IMAGES = True)

    data = pdfs.noise_image(fmt)
    assert check_content(data, name="photo").size == len(data)
    with pytest.raises(AttachmentRefused, match="tronquée"):
        check_content(data[: len(data) // 2], name="photo")


# --- blob store ----------------------------------------------------------------------------
def test_blob_store_layout_idempotence_and_integrity(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"hello")
    assert store.path(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    mtime = store.path(digest).stat().st_mtime_ns
    assert store.put(b"hello") == digest and store.path(digest).stat().st_mtime_ns == mtime
    assert store.get(digest) == b"hello" and store.exists(digest)
    assert not list(store.path(digest).parent.glob(".incoming-*"))
    store.path(digest).chmod(0o644)
    store.path(digest).write_bytes(b"tampered")
    with pytest.raises(Exception, match="altéré"):
        store.get(digest)
    store.discard(digest)
    assert not store.exists(digest)
    with pytest.raises(ValidationError, match="invalide"):
        store.path("../../etc/passwd")


# --- attaching to a file (database) --------------------------------------------------------
def test_attach_stores_blob_row_and_audit(db: sessionmaker[Session], tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    customer_id = seed(db)
    with transaction(db) as session:
        file_id = service.start_file(session, customer_id=customer_id,
                                     circuit=default_circuit(), actor="admin", at=at(0)).id
    data = pdfs.pdf()
    with transaction(db) as session:
        doc = attach_document(session, store, file_id, data=data, original_name="/tmp/../bon.pdf",
                              kind="order_form", uploaded_by="olga", at=at(1))
        doc_id = doc.id
    with db() as session:
        row = session.get(FileDocument, doc_id)
        assert row is not None
        assert (row.original_name, row.media_type, row.size, row.step_seq, row.kind) == (
            "bon.pdf", "application/pdf", len(data), 1, "order_form")
        assert store.get(row.sha256) == data
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == "file.document_attached"
        assert last.data["sha256"] == row.sha256


def test_refused_attachment_writes_nothing(db: sessionmaker[Session], tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    customer_id = seed(db)
    with transaction(db) as session:
        file_id = service.start_file(session, customer_id=customer_id,
                                     circuit=default_circuit(), actor="admin").id
    with db() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    for data, kind in [(pdfs.pdf(pdfs.with_open_action_js), "order_form"),
                       (pdfs.pdf(pdfs.encrypted), "order_form"),
                       (pdfs.pdf(), "letter")]:
        with pytest.raises(ValidationError), transaction(db) as session:
            attach_document(session, store, file_id, data=data, original_name="x.pdf",
                            kind=kind, uploaded_by="olga", max_bytes=10_000)
    with pytest.raises(AttachmentRefused), transaction(db) as session:
        attach_document(session, store, file_id, data=pdfs.pdf(), original_name="x.pdf",
                        kind="order_form", uploaded_by="olga", max_bytes=100)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(FileDocument)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert not (tmp_path / "blobs").exists() or not any((tmp_path / "blobs").rglob("*"))


def test_attachment_answers_a_customer_request_and_closed_files_refuse(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    store = BlobStore(tmp_path)
    customer_id = seed(db)
    with transaction(db) as session:
        file = service.start_file(session, customer_id=customer_id, circuit=default_circuit(),
                                  actor="admin", at=at(0))
        file_id, step_row = file.id, file.steps[0].id
    with transaction(db) as session:
        service.request_document(session, step_row, "olga", document="Kbis", due_at=at(72),
                                 at=at(1))
    with transaction(db) as session:
        attach_document(session, store, file_id, data=pdfs.png(), original_name="kbis.png",
                        kind="supporting_documents", uploaded_by="customer:C000001", at=at(2))
    with db() as session:
        file = service.get_file(session, file_id)
        assert file.state == FileState.IN_PROGRESS
        assert file.steps[0].request_received_at == at(2)
    with transaction(db) as session:
        service.reject(session, step_row, "olga", reason="client radié")
    with pytest.raises(IllegalTransition, match="n'accepte plus"), transaction(db) as session:
        attach_document(session, store, file_id, data=pdfs.png(), original_name="late.png",
                        kind="supporting_documents", uploaded_by="olga")


def test_archived_blobs_are_released_only_when_every_copy_is_archived(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    store = BlobStore(tmp_path)
    customer_id = seed(db)
    with transaction(db) as session:
        file_id = service.start_file(session, customer_id=customer_id,
                                     circuit=default_circuit(), actor="admin").id
        other_id = service.start_file(session, customer_id=customer_id,
                                      circuit=default_circuit(), actor="admin").id
    data = pdfs.pdf()
    with transaction(db) as session:  # one blob, two files (one file refuses a duplicate)
        first = attach_document(session, store, file_id, data=data, original_name="a.pdf",
                                kind="order_form", uploaded_by="olga").id
        second = attach_document(session, store, other_id, data=data, original_name="b.pdf",
                                 kind="order_form", uploaded_by="olga").id
    digest = sha256_hex(data)
    with transaction(db) as session:
        mark_archived(session, first, archive_ref="archive://1")
    with transaction(db) as session:
        assert release_archived_blobs(session, store) == 0  # `second` still needs the bytes
    assert store.exists(digest)
    with pytest.raises(ConflictError, match="déjà archivée"), transaction(db) as session:
        mark_archived(session, first, archive_ref="archive://again")
    with transaction(db) as session:
        mark_archived(session, second, archive_ref="archive://2")
    with transaction(db) as session:
        assert release_archived_blobs(session, store) == 1
    assert not store.exists(digest)
    with db() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "file.document_archived")).all()
        assert len(actions) == 2
