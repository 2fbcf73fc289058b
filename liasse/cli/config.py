"""`liasse config`: every setting Liasse reads, where it comes from, and its current value.

Each layer owns its settings class (core, signing, archive, Chorus Pro, VIES, SMTP, flows,
company profile), all read from `LIASSE_*` environment variables; this command gathers them so an
operator sees the whole configuration in one place. Secrets are masked, and so is the password
part of any URL (`postgresql://user:••••••@host/db`, `?password=••••••`). The last line says
which SMS backend is in use, and whether its SMS are simulated.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import typer
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from rich.table import Table

from dossiers.i18n import tr
from liasse.cli.environment import console

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
MASK = "••••••"
# scheme://user:PASSWORD@host and ?password=... / &token=... in any URL-looking value
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)[^@\s]*(?=@)")
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|secret|token|api_key|access_key|key)=)[^&#\s]*",
    re.IGNORECASE,
)


def mask_url_secrets(text: str) -> str:
    """The text with the password of every URL in it replaced by the mask."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)


def _display(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, SecretStr) or any(h in name for h in SECRET_HINTS):
        return MASK
    return mask_url_secrets(str(value))


def sms_backend_line() -> str:
    """Which SMS backend is in use, said plainly (a simulated SMS never reaches a phone)."""
    from application.signing_sessions import sms_is_simulated

    if sms_is_simulated():
        return tr(
            "SMS : fake (simulé : aucun SMS réel n'est envoyé ; LIASSE_SMS_BACKEND=twilio pour "
            "Twilio)",
            "SMS backend: fake (simulated: no real SMS is sent; LIASSE_SMS_BACKEND=twilio for "
            "Twilio)",
        )
    return tr(
        "SMS : twilio (SMS réels, par Twilio ou l'hôte compatible de LIASSE_TWILIO_BASE_URL)",
        "SMS backend: twilio (real SMS, through Twilio or the compatible host at "
        "LIASSE_TWILIO_BASE_URL)",
    )


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
    console.print(sms_backend_line(), highlight=False)
