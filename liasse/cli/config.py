"""`liasse config`: every setting Liasse reads, where it comes from, and its current value.

Each layer owns its settings class (core, signing, archive, Chorus Pro, VIES, SMTP, flows,
company profile), all read from `LIASSE_*` environment variables; this command gathers them so an
operator sees the whole configuration in one place. Secrets are masked.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from rich.table import Table

from dossiers.i18n import tr
from liasse.cli.context import console

NAME = "config"
app = typer.Typer(help="Configuration (variables LIASSE_*). / Configuration (LIASSE_* variables).")

SETTINGS_CLASSES = (
    ("application.settings", "Settings"),
    ("signing.settings", "SigningSettings"),
    ("connectors.archive.settings", "ArchiveSettings"),
    ("connectors.chorus_pro.settings", "ChorusSettings"),
    ("connectors.vies.settings", "ViesSettings"),
    ("application.vies_checks", "ViesGateSettings"),
    ("connectors.mail.settings", "SmtpSettings"),
    ("flows.settings", "FlowSettings"),
    ("documents.profile", "ProfileSettings"),
)

SECRET_HINTS = ("password", "secret", "token", "key")


def _display(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, SecretStr) or any(h in name for h in SECRET_HINTS):
        return "••••••"
    return str(value)


def settings_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for module_name, class_name in SETTINGS_CLASSES:
        cls: type[BaseSettings] = getattr(importlib.import_module(module_name), class_name)
        prefix = cls.model_config.get("env_prefix", "")
        current = cls()
        for field_name, field in cls.model_fields.items():
            rows.append((
                f"{prefix}{field_name}".upper(),
                _display(field_name, field.default),
                _display(field_name, getattr(current, field_name)),
                field.description or "",
            ))
    return rows


@app.callback(invoke_without_command=True)
def show() -> None:
    """List every LIASSE_* variable with its default and current value."""
    table = Table(tr("variable", "variable"), tr("défaut", "default"), tr("actuel", "current"),
                  tr("rôle", "meaning"))
    for row in settings_rows():
        table.add_row(*row)
    console.print(table)
