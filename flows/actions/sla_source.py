"""The database's view of overdue human steps, for the scheduled `sla-reminders` flow.

Reminders go to the deciding role (or the assignee after a delegation); past the escalation
delay the step is escalated to a group lead (the team lead of the role's members, else any
`group_lead`, else an admin), who becomes its assignee. Recording is idempotent: a step already
reminded for this deadline, or already escalated, is left alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dossiers.db import transaction
from dossiers.errors import ConflictError, IllegalTransition
from dossiers.files import queries, service
from dossiers.files.models import FileStep
from dossiers.staff.models import StaffUser
from dossiers.staff.service import users_with_role
from flows.file_engine_protocol import AlertContext, OverdueStep


def group_lead(session: Session, row: FileStep) -> StaffUser | None:
    members = list(users_with_role(session, row.role or ""))
    for member in members:
        if member.team is not None and member.team.lead is not None and member.team.lead.active:
            return member.team.lead
    for role in ("group_lead", "admin"):
        leads = list(users_with_role(session, role))
        if leads:
            return leads[0]
    return None


class DbSlaSource:
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]  # a DbFileEngine
        self.engine = engine

    def overdue_steps(self, now: datetime) -> list[OverdueStep]:
        self.engine._sweep_now = now
        found: list[OverdueStep] = []
        with self.engine.factory() as s:
            escalations = list(queries.escalation_due(s, now))
            reminders = [r for r in queries.overdue_steps(s, now)
                         if r.id not in {e.id for e in escalations}]
            leads = {r.id: group_lead(s, r) for r in escalations}
            rows = [(r, "escalation") for r in escalations] + [(r, "reminder") for r in reminders]
            plain = [(r.id, r.file_id, r.role or "", r.due_at, r.escalate_at, kind)
                     for r, kind in rows]
        for row_id, file_id, role, due_at, escalate_at, kind in plain:
            context = self.engine.alert_context(str(file_id), str(row_id))
            if kind == "escalation":
                lead = leads[row_id]
                if lead is None:
                    continue  # nobody above: the reminder already went to the role
                context = AlertContext(context.file_label, context.step_label, [lead.email],
                                       context.language)
            found.append(OverdueStep(str(file_id), str(row_id), role,
                                     escalate_at if kind == "escalation" else due_at,
                                     kind, 1, context))  # type: ignore[arg-type]
        return found

    def record_reminder(self, step: OverdueStep, message_id: str) -> None:
        at = self.engine._sweep_now or self.engine.clock()
        row_id = int(step.step_run_id)
        try:
            with transaction(self.engine.factory) as s:
                if step.kind == "escalation":
                    lead = group_lead(s, service.get_step(s, row_id))
                    if lead is not None:
                        service.escalate(s, row_id, to_login=lead.login, at=at)
                else:
                    service.remind(s, row_id, at=at)
        except (ConflictError, IllegalTransition):
            return  # already recorded, or decided meanwhile
