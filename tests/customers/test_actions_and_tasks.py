"""Actions with reminders feed the task list (due today / overdue) until marked done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dossiers.customers.actions import TaskList, add_action, mark_done, tasks
from dossiers.customers.models import Customer
from dossiers.db import transaction
from dossiers.errors import ConflictError, NotFound, ValidationError

AddCustomer = Callable[..., Customer]
TODAY = date(2026, 3, 10)


def _tasks(db: sessionmaker[Session], today: date, **kwargs: str) -> TaskList:
    with db() as s:
        return tasks(s, today, **kwargs)


def test_task_list_splits_due_today_and_overdue_until_done(
    db: sessionmaker[Session], add_customer: AddCustomer
) -> None:
    customer = add_customer()
    with transaction(db) as s:
        def act(subject: str, reminder: str | None, author: str = "rep1",
                copy_to: str | None = None) -> int:
            return add_action(s, customer.number, {
                "kind": "letter", "subject": subject, "author_login": author,
                "copy_to_login": copy_to, "reminder_on": reminder, "comment": "…"}).id
        late = act("Relancer le devis", "2026-03-01")
        today = act("Appeler", "2026-03-10", author="rep2", copy_to="rep1")
        act("Plus tard", "2026-04-01")
        act("Simple note", None)
        act("Autre commercial", "2026-03-10", author="rep3")

    listed = _tasks(db, TODAY)
    assert [t.subject for t in listed.due_today] == ["Appeler", "Autre commercial"]
    assert [t.subject for t in listed.overdue] == ["Relancer le devis"]
    mine = _tasks(db, TODAY, staff_login="rep1")
    assert [t.id for t in mine.due_today] == [today] and [t.id for t in mine.overdue] == [late]

    with transaction(db) as s:
        mark_done(s, late, by_login="rep1")
    with pytest.raises(ConflictError), transaction(db) as s:
        mark_done(s, late, by_login="rep1")
    with pytest.raises(NotFound), transaction(db) as s:
        mark_done(s, 9999, by_login="rep1")
    assert _tasks(db, TODAY).overdue == []
    # Tomorrow, today's open task is overdue and April's is still in the future.
    tomorrow = _tasks(db, date(2026, 3, 11))
    assert [t.subject for t in tomorrow.overdue] == ["Appeler", "Autre commercial"]
    assert tomorrow.due_today == []


@pytest.mark.parametrize(("data", "error", "words"), [
    ({"kind": "fax"}, ValidationError, "valeur non permise"),
    ({"subject": ""}, ValidationError, "objet"),
    ({"author_login": "ghost"}, NotFound, "ghost"),
    ({"reminder_on": "10/03/2026"}, ValidationError, "AAAA-MM-JJ"),
])
def test_bad_action_is_refused(
    db: sessionmaker[Session], add_customer: AddCustomer, data: dict[str, object],
    error: type[Exception], words: str,
) -> None:
    customer = add_customer()
    base = {"kind": "note", "subject": "x", "author_login": "rep1"}
    with pytest.raises(error, match=words), transaction(db) as s:
        add_action(s, customer.number, {**base, **data})
    assert _tasks(db, date(2030, 1, 1)).overdue == []
