"""Which customers a staff user may see (portal access levels, glossary "niveau d'accréditation").

`admin` and `compliance` see every customer; a `sales_rep` sees the customers they are the
sales rep of; a `group_lead` sees those of every rep in the teams they lead (and their own).
Roles add up; a user with none of these roles (an operator, a pure validator) sees no customer
record through this door.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from dossiers.customers.models import Customer
from dossiers.staff.models import ALL_CUSTOMERS_ROLES, StaffUser
from dossiers.staff.service import team_member_ids


def visibility_condition(session: Session, staff_user: StaffUser) -> ColumnElement[bool]:
    """A WHERE clause on `Customer` selecting what `staff_user` may see."""
    roles = staff_user.role_names
    if roles & ALL_CUSTOMERS_ROLES:
        return true()
    reps: set[int] = set()
    if "sales_rep" in roles:
        reps.add(staff_user.id)
    if "group_lead" in roles:
        reps |= team_member_ids(session, staff_user)
    return Customer.sales_rep_id.in_(sorted(reps)) if reps else false()


def visible_customers_query(session: Session, staff_user: StaffUser) -> Select[tuple[Customer]]:
    """The visible customers as a query the caller can filter, sort and page further."""
    return select(Customer).where(visibility_condition(session, staff_user))


def visible_customers(session: Session, staff_user: StaffUser) -> Sequence[Customer]:
    query = visible_customers_query(session, staff_user).order_by(Customer.number)
    return session.scalars(query).unique().all()


def can_see_customer(session: Session, staff_user: StaffUser, customer: Customer) -> bool:
    query = select(Customer.id).where(Customer.id == customer.id,
                                      visibility_condition(session, staff_user))
    return session.scalars(query).first() is not None
