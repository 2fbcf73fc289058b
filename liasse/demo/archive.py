"""Chapter 7: the legal archive — every object re-read and checked, one document found and
retrieved the way compliance staff would (`liasse archive verify`, `find`, `get`)."""

from __future__ import annotations

from rich.table import Table

from dossiers.archive import find, get_document, verify
from dossiers.customers.service import get_customer
from dossiers.i18n import tr
from liasse.demo.invoice_pipeline import open_archive
from liasse.demo.state import Demo


def check_archive(demo: Demo) -> None:
    demo.chapter(7, "Archive légale : intégrité et recherche",
                 "Legal archive: integrity and search")
    archive = open_archive(demo)
    report = verify(archive, actor=demo.staff["compliance"])
    demo.facts["archive_verify"] = {"ok": report.ok, "checked": report.checked}
    if not report.ok:
        for problem in report.problems:
            demo.refused(f"#{problem.record_id}", f"#{problem.record_id}",
                         f"{problem.kind} ({problem.detail})")
        raise RuntimeError(tr("archive altérée", "archive tampered with"))
    demo.ok(f"{report.checked} objet(s) relu(s) : empreintes SHA-256 conformes",
            f"{report.checked} object(s) re-read: SHA-256 digests match")

    with demo.factory() as s:
        customer = get_customer(s, demo.customers["company"])
        rows = find(s, customer_id=customer.id)
    table = Table("id", "type", tr("numéro", "number"), tr("émis le", "issued"),
                  tr("conservé jusqu'au", "retained until"), "sha256",
                  title=tr(f"liasse archive find --customer {customer.number}",
                           f"liasse archive find --customer {customer.number}"))
    for row in rows:
        table.add_row(str(row.id), row.document_type, row.document_number,
                      row.issue_date.isoformat(), row.retain_until.date().isoformat(),
                      row.sha256[:16] + "…")
    demo.console.print(table)
    if rows:
        row, body = get_document(archive, rows[0].id, actor=demo.staff["compliance"])
        demo.ok(f"{row.key} relu ({len(body)} o), SHA-256 vérifié",
                f"{row.key} retrieved ({len(body)} B), SHA-256 checked")
