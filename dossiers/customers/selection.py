"""Selection codes: publisher-defined tags (profession, sector, birth year...) on customers.

A code is defined once (free entry, or a fixed list of values), then customers get values for
it. Values are stored with a folded copy so quick search finds them regardless of case/accents.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.audit import record
from dossiers.customers.models import CustomerSelection, SelectionCode
from dossiers.customers.normalise import normalise
from dossiers.customers.service import get_customer
from dossiers.errors import ConflictError, NotFound, ValidationError


def _clean_code(code: str) -> str:
    cleaned = code.strip().upper()
    if not cleaned or len(cleaned) > 30 or not cleaned.replace("_", "").isalnum():
        raise ValidationError(
            f"Code de sélection invalide « {code} » : lettres, chiffres et _ (30 au plus).",
            f"Invalid selection code '{code}': letters, digits and _ (at most 30).",
        )
    return cleaned


def define_selection_code(
    session: Session, code: str, label: str, *, choices: Sequence[str] = (),
    actor: str = "system",
) -> SelectionCode:
    """Define a code; with `choices`, values must be picked from them (no free entry)."""
    cleaned = _clean_code(code)
    if session.scalars(select(SelectionCode.id).where(SelectionCode.code == cleaned)).first():
        raise ConflictError(f"Le code de sélection {cleaned} existe déjà.",
                            f"Selection code {cleaned} already exists.")
    values = [c.strip() for c in choices if c.strip()]
    definition = SelectionCode(code=cleaned, label=label.strip()[:100] or cleaned,
                               free_entry=not values, choices=values)
    session.add(definition)
    session.flush()
    record(session, "selection_code.defined", subject_type="selection_code",
           subject_id=cleaned, actor=actor, data={"label": definition.label, "choices": values})
    return definition


def get_selection_code(session: Session, code: str) -> SelectionCode:
    cleaned = code.strip().upper()
    found = session.scalars(select(SelectionCode).where(SelectionCode.code == cleaned)).first()
    if found is None:
        raise NotFound(f"Code de sélection inconnu : {code} (créez-le d'abord).",
                       f"Unknown selection code: {code} (define it first).")
    return found


def set_selection(session: Session, number: str, code: str, value: str, *,
                  actor: str = "system") -> CustomerSelection:
    """Give a customer a value for a code (a customer may hold several values of one code)."""
    definition = get_selection_code(session, code)
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 100:
        raise ValidationError("Valeur de code de sélection vide ou trop longue (100 au plus).",
                              "Selection value empty or too long (at most 100).")
    if not definition.free_entry and cleaned not in definition.choices:
        allowed = ", ".join(definition.choices)
        raise ValidationError(
            f"Valeur « {cleaned} » non prévue pour {definition.code} (choix : {allowed}).",
            f"Value '{cleaned}' is not allowed for {definition.code} (choices: {allowed}).",
        )
    customer = get_customer(session, number, lock=True)
    if any(s.code_id == definition.id and s.value == cleaned for s in customer.selections):
        raise ConflictError(f"{customer.number} a déjà {definition.code} = {cleaned}.",
                            f"{customer.number} already has {definition.code} = {cleaned}.")
    selection = CustomerSelection(code_id=definition.id, value=cleaned,
                                  value_search=normalise(cleaned))
    customer.selections.append(selection)
    session.flush()
    record(session, "customer.selection_set", subject_type="customer",
           subject_id=customer.number, actor=actor, customer_id=customer.id,
           data={"code": definition.code, "value": cleaned})
    return selection


def remove_selection(session: Session, number: str, code: str, value: str, *,
                     actor: str = "system") -> None:
    definition = get_selection_code(session, code)
    customer = get_customer(session, number, lock=True)
    held = [s for s in customer.selections if s.code_id == definition.id and s.value == value]
    if not held:
        raise NotFound(f"{customer.number} n'a pas {definition.code} = {value}.",
                       f"{customer.number} has no {definition.code} = {value}.")
    customer.selections.remove(held[0])
    session.flush()
    record(session, "customer.selection_removed", subject_type="customer",
           subject_id=customer.number, actor=actor, customer_id=customer.id,
           data={"code": definition.code, "value": value})
