"""The staff roles a circuit step may name: the built-in access roles and the validator roles.

A human step is decided by whoever holds its `role`; a role nobody can be given would strand
every file at that step, so a circuit naming a role that is not defined here is refused when it
is loaded (`check_graph`). A new validator role is added here, with what it decides, before a
circuit uses it.
"""

from __future__ import annotations

from dossiers.staff.models import BUILTIN_ROLES

VALIDATOR_ROLES: dict[str, tuple[str, str]] = {
    "order_desk": ("contrôle des bons de commande", "checks order forms"),
    "documents_checker": ("contrôle des pièces justificatives", "checks supporting documents"),
    "contract_manager": ("relecture des contrats", "reviews contracts"),
    "sales_manager": ("contresigne les contrats", "countersigns contracts"),
    "billing": ("facturation et dépôts Chorus Pro", "invoicing and Chorus Pro deposits"),
    "disputes": ("examen des litiges", "examines disputes"),
}

KNOWN_ROLES: tuple[str, ...] = (*BUILTIN_ROLES, *VALIDATOR_ROLES)
