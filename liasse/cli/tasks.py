"""`liasse tasks`: reminders of customer actions due today and overdue; `--done ID` closes one."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from dossiers.customers.actions import mark_done, tasks
from dossiers.customers.models import CustomerAction
from dossiers.db import transaction
from dossiers.errors import ValidationError
from dossiers.i18n import tr
from liasse.cli.environment import console, session_factory


def _rows(table: Table, actions: list[CustomerAction], colour: str, label: str) -> None:
    for a in actions:
        table.add_row(f"[{colour}]{label}[/]", str(a.id), str(a.reminder_on), a.customer.number,
                      a.customer.display_name, a.kind.value, a.subject)


def tasks_command(
    today: str = typer.Option(None, "--today", help="Day to list for (YYYY-MM-DD); default today."),
    user: str = typer.Option(None, "--user", help="Only tasks authored by or copied to LOGIN."),
    done: int = typer.Option(None, "--done", help="Mark action ID done."),
    by: str = typer.Option(None, "--by", help="Login of who marks it done."),
) -> None:
    """Reminders due today (blue) and overdue (red), until marked done."""
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise ValidationError(f"Date invalide pour --today : « {today} » (AAAA-MM-JJ attendu).",
                              f"Invalid date for --today: '{today}' (YYYY-MM-DD expected)."
                              ) from None
    factory = session_factory()
    if done is not None:
        with transaction(factory) as session:
            mark_done(session, done, by_login=by or user)
        console.print(tr(f"Action #{done} faite.", f"Action #{done} done."))
        return
    with factory() as session:
        listed = tasks(session, day, staff_login=user)
        table = Table(tr("Quand", "When"), "#", tr("Rappel", "Reminder"), tr("Client", "Customer"),
                      tr("Nom", "Name"), tr("Type", "Kind"), tr("Objet", "Subject"))
        _rows(table, list(listed.overdue), "red", tr("en retard", "overdue"))
        _rows(table, list(listed.due_today), "blue", tr("aujourd'hui", "today"))
        console.print(table)
    console.print(tr(
        f"{len(listed.due_today)} tâche(s) du jour, {len(listed.overdue)} en retard.",
        f"{len(listed.due_today)} task(s) due today, {len(listed.overdue)} overdue.",
    ))


def register(root: typer.Typer) -> None:
    root.command("tasks")(tasks_command)
