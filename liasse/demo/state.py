"""What every chapter of the demo shares: the home folder, the database, the console, and the
facts earlier chapters established (who the customers are, which files and invoices exist)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule
from sqlalchemy.orm import Session, sessionmaker

from documents.profile import CompanyProfile
from dossiers.db import transaction
from dossiers.i18n import tr


@dataclass
class IssuedDocument:
    """An invoice or credit note the demo issued, and where its PDF went."""

    number: str
    kind: str  # "invoice" or "credit_note"
    invoice_id: int
    customer_number: str
    buyer: str
    grand_total: str
    pdf_path: Path
    facturx_ok: bool
    archive_id: int | None = None


@dataclass
class Demo:
    home: Path
    factory: sessionmaker[Session]
    console: Console
    profile: CompanyProfile
    customers: dict[str, str] = field(default_factory=dict)  # role in the story -> number
    staff: dict[str, str] = field(default_factory=dict)  # role in the story -> login
    files: dict[str, int] = field(default_factory=dict)  # story -> file id
    issued: list[IssuedDocument] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # figures for the summary
    actions: Any = None  # the product's `application.services.Services` (invoice_pipeline)
    engine: Any = None  # the product's `flows.db_file_engine.DbFileEngine` (circuit_driver)
    stack: Any = None  # the running `flows.local_stack.LocalStack` (orchestration)
    runs: dict[int, Any] = field(default_factory=dict)  # file id -> its flow run id
    reported: set[int] = field(default_factory=set)  # step rows already told (circuit_driver)

    # --- where things go ------------------------------------------------------------------
    @property
    def pdf_dir(self) -> Path:
        folder = self.home / "pdf"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    # --- printing -------------------------------------------------------------------------
    def chapter(self, number: int, fr: str, en: str) -> None:
        self.chapter_static(self.console, number, fr, en)

    @staticmethod
    def chapter_static(console: Console, number: int, fr: str, en: str) -> None:
        console.print()
        console.print(Rule(f"[bold cyan]{number}. {tr(fr, en)}[/]", align="left"))

    def say(self, fr: str, en: str, *, style: str | None = None) -> None:
        text = tr(fr, en)
        self.console.print(f"[{style}]{text}[/]" if style else text, highlight=False)

    def ok(self, fr: str, en: str) -> None:
        self.console.print(f"  [green]✓[/] {tr(fr, en)}", highlight=False)

    def refused(self, fr: str, en: str, message: str) -> None:
        self.console.print(f"  [yellow]✗[/] {tr(fr, en)} [red]{message}[/]", highlight=False)

    def detail(self, text: str) -> None:
        self.console.print(f"    [dim]{text}[/]", highlight=False)

    # --- database -------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[Session]:
        with transaction(self.factory) as session:
            yield session

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
