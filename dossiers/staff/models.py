"""Staff users and their roles.

Roles are plain strings so circuits can name their own validator roles (`order_desk`,
`compliance`, ...) next to the built-in ones. Access levels (seed 004): `admin` sees everything,
`sales_rep` sees their own customers, `group_lead` sees their team's customers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, utcnow

BUILTIN_ROLES = ("admin", "sales_rep", "group_lead", "compliance", "operator")
# Roles that see every customer on the portal (`dossiers.customers.access`).
ALL_CUSTOMERS_ROLES = frozenset({"admin", "compliance"})


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # SET NULL: removing a user un-sets them as lead (and lets table-wide deletes run in
    # dependency order despite the teams <-> staff_users cycle).
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", use_alter=True, ondelete="SET NULL")
    )

    lead: Mapped[StaffUser | None] = relationship(foreign_keys=[lead_id], post_update=True)
    members: Mapped[list[StaffUser]] = relationship(
        back_populates="team", foreign_keys="StaffUser.team_id", order_by="StaffUser.login"
    )


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(default=True)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class StaffRole(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(50), index=True)

    user: Mapped[StaffUser] = relationship(back_populates="roles")


class StaffCredential(Base):
    """A staff user's portal password (an argon2id hash, never the password) and the sign-in
    lock-out counters (`dossiers.staff.credentials`). No row: the user cannot sign in yet."""

    __tablename__ = "staff_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
