"""Step alerts: "a step waits for you", its reminder and its escalation, as e-mails.

Each mail carries a signed link (`dossiers.signed_links.make_token`, purpose `step`) that
opens the step on the portal; the portal checks it with
`read_token(secret, STEP_LINK_PURPOSE, token, max_age)`, so the link expires and cannot be
reused for another purpose. French by default, English on request; a plain-text body with an
HTML alternative (escaped: file labels are user input).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Literal
from urllib.parse import quote

from jinja2 import Environment

from dossiers.i18n import tr
from dossiers.signed_links import make_token

STEP_LINK_PURPOSE = "step"
STEP_LINK_PATH = "/steps/open"
AlertKind = Literal["new", "reminder", "escalation"]

_html = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="{{ lang }}"><body>
<p>{{ greeting }}</p>
<p>{{ lead }}</p>
<table>
<tr><th align="left">{{ labels.file }}</th><td>{{ alert.file_label }}</td></tr>
<tr><th align="left">{{ labels.step }}</th><td>{{ alert.step_label }}</td></tr>
<tr><th align="left">{{ labels.role }}</th><td>{{ alert.role }}</td></tr>
{% if due %}<tr><th align="left">{{ labels.due }}</th><td>{{ due }}</td></tr>{% endif %}
</table>
<p><a href="{{ link }}">{{ labels.open }}</a></p>
<p><small>{{ expiry }}</small></p>
</body></html>
"""
)


@dataclass(frozen=True)
class StepAlert:
    """What a validator must know to act: which file, which step, by when."""

    file_id: str
    file_label: str
    step_id: str
    step_label: str
    role: str
    due_at: datetime | None = None
    kind: AlertKind = "new"


def step_token(secret: bytes, alert: StepAlert) -> str:
    payload = {"file_id": alert.file_id, "step_id": alert.step_id, "role": alert.role}
    return make_token(secret, STEP_LINK_PURPOSE, payload)


def step_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{STEP_LINK_PATH}?token={quote(token)}"


def _subject(alert: StepAlert, lang: str) -> str:
    prefix = {
        "new": tr("À valider", "To approve", lang),
        "reminder": tr("Relance", "Reminder", lang),
        "escalation": tr("Escalade", "Escalation", lang),
    }[alert.kind]
    return f"[Liasse] {prefix}{_sep(lang)}{alert.step_label} — {alert.file_label}"


def _sep(lang: str) -> str:
    """French typography puts a space before the colon; English does not."""
    return ": " if lang == "en" else " : "


def _lead(alert: StepAlert, lang: str) -> str:
    return {
        "new": tr("Une étape attend votre décision.", "A step is waiting for your decision.", lang),
        "reminder": tr(
            "Rappel : cette étape a dépassé son délai et attend toujours votre décision.",
            "Reminder: this step is overdue and still waiting for your decision.",
            lang,
        ),
        "escalation": tr(
            "Escalade : cette étape attend une décision bien au-delà de son délai.",
            "Escalation: this step has been waiting far beyond its deadline.",
            lang,
        ),
    }[alert.kind]


def build_step_alert(
    alert: StepAlert,
    to: list[str],
    *,
    secret: bytes,
    base_url: str,
    link_valid_hours: int,
    language: str = "fr",
) -> EmailMessage:
    """The alert mail for one step; the caller sends it with key `alert_key(alert)`."""
    link = step_link(base_url, step_token(secret, alert))
    due = alert.due_at.strftime("%Y-%m-%d %H:%M UTC") if alert.due_at else None
    labels = {
        "file": tr("Dossier", "File", language),
        "step": tr("Étape", "Step", language),
        "role": tr("Rôle", "Role", language),
        "due": tr("À traiter avant", "Due by", language),
        "open": tr("Ouvrir l'étape", "Open the step", language),
    }
    greeting = tr("Bonjour,", "Hello,", language)
    lead = _lead(alert, language)
    expiry = tr(
        f"Ce lien est valable {link_valid_hours} heures.",
        f"This link is valid for {link_valid_hours} hours.",
        language,
    )
    sep = _sep(language)
    lines = [greeting, "", lead, "", f"{labels['file']}{sep}{alert.file_label}"]
    lines += [f"{labels['step']}{sep}{alert.step_label}", f"{labels['role']}{sep}{alert.role}"]
    if due:
        lines.append(f"{labels['due']}{sep}{due}")
    lines += ["", f"{labels['open']}{sep}{link}", "", expiry]

    message = EmailMessage()
    message["Subject"] = _subject(alert, language)
    message["To"] = ", ".join(to)
    message.set_content("\n".join(lines) + "\n")
    html = _html.render(
        lang=language,
        greeting=greeting,
        lead=lead,
        alert=alert,
        labels=labels,
        due=due,
        link=link,
        expiry=expiry,
    )
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    return message


def alert_key(alert: StepAlert, recipient_group: str = "") -> str:
    """Idempotency key: one mail per step, kind and recipient group (a reminder is not a repeat).

    For reminders the caller adds the reminder's ordinal or date to `recipient_group` when it
    wants more than one reminder per step.
    """
    return step_alert_key(alert.step_id, alert.kind, recipient_group)


def step_alert_key(step_id: str, kind: str = "new", recipient_group: str = "") -> str:
    """`alert_key` from the step alone: find the alert mail of a step in the ledger."""
    suffix = f":{recipient_group}" if recipient_group else ""
    return f"step-alert:{step_id}:{kind}{suffix}"
