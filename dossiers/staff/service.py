"""Creating staff users and teams, granting roles, finding who holds a role.

Roles are free names so a circuit can introduce its own validator role (`order_desk`,
`compliance_officer`...) next to the built-in ones; they only have to look like identifiers.
A team's lead must hold `group_lead`: that role is what gives them their team's customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.errors import ConflictError, NotFound, ValidationError
from dossiers.identifiers import validate_email, validate_plain_text
from dossiers.input_validation import FIELD_LABELS, Mobile, PlainText, parse_input
from dossiers.staff.models import StaffRole, StaffUser, Team

RoleName = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                            pattern=r"^[A-Za-z][A-Za-z0-9_]{1,49}$")]


class StaffInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$",
                                            to_lower=True)]
    full_name: Annotated[str, Field(min_length=1, max_length=200), PlainText]
    email: Annotated[str, AfterValidator(validate_email)]
    mobile: Mobile = None
    roles: Annotated[list[RoleName], Field(min_length=1)]
    team: str | None = None


def get_staff(session: Session, login: str) -> StaffUser:
    user = session.scalars(select(StaffUser).where(StaffUser.login == login.lower())).one_or_none()
    if user is None:
        raise NotFound(f"Utilisateur inconnu : {login}.", f"Unknown staff user: {login}.")
    return user


def get_team(session: Session, name: str) -> Team:
    team = session.scalars(select(Team).where(Team.name == name)).one_or_none()
    if team is None:
        raise NotFound(f"Équipe inconnue : {name}.", f"Unknown team: {name}.")
    return team


def create_staff_user(session: Session, data: Mapping[str, Any], *, actor: str = "system"
                      ) -> StaffUser:
    """Create a user with roles (and optionally a team); refuses a login already taken."""
    fields = parse_input(StaffInput, data)
    taken = session.scalars(select(StaffUser.id).where(StaffUser.login == fields.login)).first()
    if taken is not None:
        raise ConflictError(f"L'identifiant « {fields.login} » est déjà pris.",
                            f"Login '{fields.login}' is already taken.")
    team = get_team(session, fields.team) if fields.team else None
    user = StaffUser(
        login=fields.login, full_name=fields.full_name, email=fields.email, mobile=fields.mobile,
        team_id=team.id if team else None,
        roles=[StaffRole(role=r) for r in sorted(set(fields.roles))],
    )
    session.add(user)
    session.flush()
    record(session, "staff.created", subject_type="staff_user", subject_id=user.id, actor=actor,
           data={"login": user.login, "roles": sorted(user.role_names),
                 "team": team.name if team else None})
    return user


def grant_role(session: Session, login: str, role: str, *, actor: str = "system") -> StaffUser:
    user = get_staff(session, login)
    name = parse_input(_RoleInput, {"role": role}).role
    if name not in user.role_names:
        user.roles.append(StaffRole(role=name))
        session.flush()
        record(session, "staff.role_granted", subject_type="staff_user", subject_id=user.id,
               actor=actor, data={"role": name})
    return user


def revoke_role(session: Session, login: str, role: str, *, actor: str = "system") -> StaffUser:
    user = get_staff(session, login)
    held = [r for r in user.roles if r.role == role]
    if not held:
        raise ValidationError(f"{login} n'a pas le rôle {role}.", f"{login} lacks role {role}.")
    user.roles.remove(held[0])
    session.flush()
    record(session, "staff.role_revoked", subject_type="staff_user", subject_id=user.id,
           actor=actor, data={"role": role})
    return user


class _RoleInput(BaseModel):
    role: RoleName


def create_team(session: Session, name: str, *, lead_login: str | None = None,
                actor: str = "system") -> Team:
    """Create a team; its lead (a `group_lead`) joins it if not already in another team."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("Nom d'équipe vide ou trop long (100 caractères au plus).",
                              "Team name empty or too long (at most 100 characters).")
    validate_plain_text(name, field="team", label=FIELD_LABELS["team"])
    if session.scalars(select(Team.id).where(Team.name == name)).first() is not None:
        raise ConflictError(f"L'équipe « {name} » existe déjà.", f"Team '{name}' already exists.")
    team = Team(name=name)
    session.add(team)
    session.flush()
    if lead_login:
        set_team_lead(session, team, lead_login, actor=actor)
    record(session, "team.created", subject_type="team", subject_id=team.id, actor=actor,
           data={"name": name, "lead": lead_login})
    return team


def set_team_lead(session: Session, team: Team, lead_login: str, *, actor: str = "system") -> None:
    lead = get_staff(session, lead_login)
    if not lead.has_role("group_lead"):
        raise ValidationError(
            f"{lead.login} ne peut pas diriger une équipe : rôle group_lead requis.",
            f"{lead.login} cannot lead a team: the group_lead role is required.",
        )
    team.lead_id = lead.id
    if lead.team_id is None:
        lead.team_id = team.id
    session.flush()
    record(session, "team.lead_set", subject_type="team", subject_id=team.id, actor=actor,
           data={"lead": lead.login})


def assign_team(session: Session, login: str, team_name: str | None, *, actor: str = "system"
                ) -> StaffUser:
    user = get_staff(session, login)
    team = get_team(session, team_name) if team_name else None
    user.team_id = team.id if team else None
    session.flush()
    record(session, "staff.team_changed", subject_type="staff_user", subject_id=user.id,
           actor=actor, data={"team": team_name})
    return user


def users_with_role(session: Session, role: str) -> Sequence[StaffUser]:
    """Active users holding `role`, by login (who gets a step's alert, who may decide it)."""
    query = (
        select(StaffUser)
        .join(StaffRole, StaffRole.user_id == StaffUser.id)
        .where(StaffRole.role == role, StaffUser.active.is_(True))
        .order_by(StaffUser.login)
    )
    return session.scalars(query).unique().all()


def team_member_ids(session: Session, lead: StaffUser) -> set[int]:
    """Ids of every member of the teams `lead` leads (the lead included)."""
    led = select(Team.id).where(Team.lead_id == lead.id)
    members = session.scalars(select(StaffUser.id).where(StaffUser.team_id.in_(led))).all()
    return {*members, lead.id}
