"""Chapter 8: what the run left behind, counted from the database and the folders, and the
audit chain verified. The same figures go to `<home>/demo-summary.json` for scripts and tests."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.table import Table
from sqlalchemy import func, select

from dossiers.archive import ArchivedDocument, ArchiveState
from dossiers.audit import AuditEvent
from dossiers.audit import verify as verify_chain
from dossiers.chorus_deposits import ChorusDeposit
from dossiers.customers.models import Customer
from dossiers.files.models import CustomerFile, FileStep
from dossiers.i18n import tr
from dossiers.invoicing.models import Invoice
from liasse.demo.orchestration import watch_afterwards
from liasse.demo.state import Demo
from signing.settings import SigningSettings

SUMMARY_FILE = "demo-summary.json"


def _by(session, column) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {getattr(key, "value", key): count for key, count in rows}


def collect(demo: Demo) -> dict[str, Any]:
    with demo.factory() as s:
        chain = verify_chain(s)
        figures: dict[str, Any] = {
            "customers": _by(s, Customer.type),
            "files": _by(s, CustomerFile.state),
            "steps": _by(s, FileStep.state),
            "invoices": _by(s, Invoice.kind),
            "archived": s.scalar(select(func.count()).select_from(ArchivedDocument).where(
                ArchivedDocument.state == ArchiveState.ARCHIVED)) or 0,
            "deposits": {f"{row.invoice_number}": f"{row.state.value}"
                         + (f" ({row.lifecycle.value})" if row.lifecycle else "")
                         for row in s.scalars(select(ChorusDeposit))},
            "audit_events": s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            "audit_chain_ok": chain.ok,
        }
    sms = SigningSettings().sms_outbox_file
    figures["sms"] = len(json.loads(sms.read_text())) if sms.is_file() else 0
    figures["emails"] = len(list(demo.outbox_dir.glob("*.eml")))
    figures["facturx_ok"] = sum(1 for d in demo.issued if d.facturx_ok)
    figures["issued"] = [d.number for d in demo.issued]
    figures["home"] = str(demo.home.resolve())
    figures["facts"] = demo.facts
    return figures


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(values.items())) or "0"


def show_summary(demo: Demo) -> dict[str, Any]:
    demo.chapter(8, "Bilan", "Summary")
    f = collect(demo)
    (demo.home / SUMMARY_FILE).write_text(json.dumps(f, indent=1, ensure_ascii=False))
    kinds = Counter({k: v for k, v in f["invoices"].items()})
    chain = (tr("[green]chaîne d'audit intègre[/]", "[green]audit chain OK[/]") if
             f["audit_chain_ok"] else tr("[red]chaîne d'audit ROMPUE[/]", "[red]audit chain "
                                                                          "BROKEN[/]"))
    table = Table(tr("quoi", "what"), tr("combien", "how many"), show_header=True)
    rows = [
        (tr("clients par type", "customers by type"), _counts(f["customers"])),
        (tr("dossiers par état", "files by state"), _counts(f["files"])),
        (tr("étapes par état", "steps by state"), _counts(f["steps"])),
        (tr("factures émises", "invoices issued"), str(kinds.get("invoice", 0))),
        (tr("avoirs émis", "credit notes issued"), str(kinds.get("credit_note", 0))),
        (tr("pièces Factur-X conformes", "Factur-X documents passing checks"),
         f"{f['facturx_ok']} / {len(f['issued'])}"),
        (tr("documents archivés", "documents archived"), str(f["archived"])),
        (tr("SMS envoyés", "SMS sent"), str(f["sms"])),
        (tr("e-mails dans la boîte d'envoi", "e-mails in the outbox"), str(f["emails"])),
        (tr("dépôts Chorus Pro", "Chorus Pro deposits"),
         ", ".join(f"{k}: {v}" for k, v in f["deposits"].items()) or "0"),
        (tr("événements d'audit", "audit events"), f"{f['audit_events']} — {chain}"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    demo.console.print(table)
    _where(demo)
    return f


def _where(demo: Demo) -> None:
    places = [
        (tr("dossier de la démo", "demo folder"), demo.home),
        (tr("base SQLite", "SQLite database"), demo.home / "liasse.db"),
        (tr("PDF (factures, avoirs, contrat signé)", "PDFs (invoices, credit notes, signed "
            "contract)"), demo.pdf_dir),
        (tr("boîte d'envoi (e-mails .eml, SMS)", "outbox (.eml e-mails, SMS)"), demo.outbox_dir),
        (tr("archive légale (WORM)", "legal archive (WORM)"), demo.archive_dir),
    ]
    for label, path in places:
        demo.console.print(f"  {label} : [bold]{demo.relative(path)}[/]", highlight=False)
    home = demo.relative(demo.home)
    commands = "liasse steps pending, liasse audit verify, liasse invoices list, " \
        "liasse archive find"
    demo.say(f"Pour explorer : export LIASSE_HOME={home} puis {commands}.",
             f"To explore: export LIASSE_HOME={home} then {commands}.", style="dim")
    watch_afterwards(demo)
