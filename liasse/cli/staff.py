"""`liasse staff add|list|team-add|grant|password`: staff users, their roles, teams and portal
passwords."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from dossiers.db import transaction
from dossiers.i18n import tr
from dossiers.staff.credentials import MIN_LENGTH, set_password
from dossiers.staff.models import StaffUser
from dossiers.staff.service import create_staff_user, create_team, grant_role, users_with_role
from liasse.cli.environment import console, session_factory

NAME = "staff"
app = typer.Typer(help="Utilisateurs et rôles. / Staff users and roles.", no_args_is_help=True)


@app.command("add")
def add(
    login: str = typer.Argument(...),
    name: str = typer.Option(..., "--name", help="Full name."),
    email: str = typer.Option(..., "--email"),
    role: list[str] = typer.Option(..., "--role",
                                   help="admin, sales_rep, group_lead, compliance, operator "
                                        "or a circuit's validator role; repeatable."),
    team: str = typer.Option(None, "--team"),
    mobile: str = typer.Option(None, "--mobile"),
) -> None:
    """Create a staff user."""
    data = {"login": login, "full_name": name, "email": email, "roles": role, "team": team,
            "mobile": mobile}
    with transaction(session_factory()) as session:
        user = create_staff_user(session, data, actor="cli")
        roles = ", ".join(sorted(user.role_names))
    console.print(tr(f"Utilisateur {login} créé ({roles}).",
                             f"Staff user {login} created ({roles})."), highlight=False)


@app.command("grant")
def grant(login: str = typer.Argument(...), role: str = typer.Argument(...)) -> None:
    """Give a role to a user."""
    with transaction(session_factory()) as session:
        grant_role(session, login, role, actor="cli")
    console.print(tr(f"{login} : rôle {role} accordé.", f"{login}: role {role} granted."))


@app.command("password")
def password(
    login: str = typer.Argument(...),
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input."),
) -> None:
    """Set a user's portal password (argon2id hash); it also lifts a sign-in lock-out."""
    if stdin:
        secret = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        secret = typer.prompt(tr(f"Mot de passe ({MIN_LENGTH} caractères au moins)",
                                 f"Password (at least {MIN_LENGTH} characters)"),
                              hide_input=True, confirmation_prompt=True)
    with transaction(session_factory()) as session:
        set_password(session, login, secret, actor="cli")
    console.print(tr(f"{login} : mot de passe enregistré.",
                             f"{login}: password set."), highlight=False)


@app.command("team-add")
def team_add(name: str = typer.Argument(...),
             lead: str = typer.Option(None, "--lead", help="Login of a group_lead.")) -> None:
    """Create a team, optionally with its lead."""
    with transaction(session_factory()) as session:
        create_team(session, name, lead_login=lead, actor="cli")
    console.print(tr(f"Équipe {name} créée.", f"Team {name} created."))


@app.command("list")
def list_(role: str = typer.Option(None, "--role", help="Only users with this role.")) -> None:
    """List staff users with their roles and team."""
    with session_factory()() as session:
        if role:
            users = list(users_with_role(session, role))
        else:
            users = list(session.scalars(select(StaffUser).order_by(StaffUser.login)))
        table = Table(tr("Identifiant", "Login"), tr("Nom", "Name"), "E-mail",
                      tr("Rôles", "Roles"), tr("Équipe", "Team"))
        for u in users:
            table.add_row(u.login, u.full_name, u.email, ", ".join(sorted(u.role_names)),
                          u.team.name if u.team else "")
        console.print(table)
