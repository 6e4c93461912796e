"""The key-task rule of the deadline sweep: overdue milestones put their task at risk or behind.

Shaped like the rules in issues/deadlines.py (read its docstring), and run by the same
Celery sweep, in its own transaction, in a fixed number of queries:

1. claim: SELECT the due milestones FOR UPDATE SKIP LOCKED (PostgreSQL; on SQLite the
   IMMEDIATE transaction serialises writers) — undone, and either past their due date
   and not yet flagged, or more than BEHIND_AFTER_DAYS past it and not yet marked behind;
2. mark: one UPDATE of the claimed ids that repeats the condition and sets `flagged_at`
   (and `behind_at` when that late). The partial index `milestone_sweep_due` holds only
   undone milestones without `behind_at`, so a second run reads nothing new;
3. tasks: one query counts each claimed task's overdue milestones; at most two UPDATEs
   move the tasks (at risk: one overdue; behind: several, or one that late) — never
   back, never a done task;
4. tell: one query for the leaders and lead departments' heads, and one call to
   `notifications.api.write_direct`, deduped per milestone and step
   (`keytask:{id}:at_risk` / `:behind`), so each is told once even if a run repeats.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Case, Count, F, Min, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from issues import workflow
from issues.deadline_events import People
from issues.deadlines import BATCH_SIZE
from liaison import workdays
from liaison.formats import deadline_date
from notifications import api as outbox

from .models import KeyTask, Milestone
from .services import BEHIND_AFTER_DAYS

KIND = "keytask_milestone"
Status = KeyTask.Status


def _condition(today: dt.date) -> Q:
    late = today - dt.timedelta(days=BEHIND_AFTER_DAYS)
    return Q(done_date__isnull=True, behind_at__isnull=True) & (
        Q(flagged_at__isnull=True, due_date__lt=today) | Q(due_date__lt=late)
    )


def _message(row: dict, person, step: str) -> outbox.DirectMessage:
    with translation.override(getattr(person.profile, "language", "") or None):
        values = {
            "year": row["task__year"],
            "number": row["task__number"],
            "task": row["task__title"],
            "milestone": row["title"],
            "due": deadline_date(row["due_date"]),
        }
        if step == Status.BEHIND:
            subject = _("Key task %(year)s-%(number)s is behind: “%(milestone)s” is long overdue")
        else:
            subject = _("Key task %(year)s-%(number)s is at risk: “%(milestone)s” is overdue")
        text = _(
            "Key task %(year)s No. %(number)s “%(task)s”: the milestone “%(milestone)s” "
            "was due on %(due)s and is not done."
        )
        return outbox.DirectMessage(
            recipient_id=person.pk,
            kind=KIND,
            dedupe_key=f"keytask:{row['pk']}:{step}",
            subject=subject % values,
            text=text % values,
            url=reverse("keytasks:task_detail", args=[row["task_id"]]),
        )


def flag_overdue_milestones(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Flag milestones that passed their due date undone; returns how many were flagged."""
    today = workdays.local_date(now)
    late = today - dt.timedelta(days=BEHIND_AFTER_DAYS)
    condition = _condition(today)
    milestones = Milestone.objects.filter(condition).order_by("due_date", "pk")
    if connection.features.has_select_for_update_skip_locked:
        milestones = milestones.select_for_update(skip_locked=True, of=("self",))
    rows = list(
        milestones.values(
            "pk",
            "title",
            "due_date",
            "task_id",
            "task__year",
            "task__number",
            "task__title",
            "task__leader_id",
            "task__lead_department_id",
        )[:batch_size]
    )
    if not rows:
        return 0
    ids = [row["pk"] for row in rows]
    behind_ids = [row["pk"] for row in rows if row["due_date"] < late]
    values = {"flagged_at": Coalesce(F("flagged_at"), Value(now))}
    if behind_ids:
        values["behind_at"] = Case(When(pk__in=behind_ids, then=Value(now)), default=F("behind_at"))
    changed = Milestone.objects.filter(condition, pk__in=ids).update(**values)
    if changed != len(ids):
        raise workflow.ClaimLost(f"{changed} of {len(ids)} claimed milestones changed")

    # The tasks: behind with several overdue milestones or one long overdue, else at risk.
    task_ids = {row["task_id"] for row in rows}
    overdue = (
        Milestone.objects.filter(task_id__in=task_ids, done_date__isnull=True, due_date__lt=today)
        .values("task_id")
        .annotate(n=Count("pk"), oldest=Min("due_date"))
    )
    to_behind, to_risk = [], []
    for row in overdue:
        (to_behind if row["n"] >= 2 or row["oldest"] < late else to_risk).append(row["task_id"])
    if to_behind:
        KeyTask.objects.filter(pk__in=to_behind).exclude(
            status__in=[Status.DONE, Status.BEHIND]
        ).update(status=Status.BEHIND, updated_at=now)
    if to_risk:
        KeyTask.objects.filter(
            pk__in=to_risk, status__in=[Status.NOT_STARTED, Status.ON_TRACK]
        ).update(status=Status.AT_RISK, updated_at=now)

    # Tell the task's leader and the lead department's heads, once per milestone and step.
    people = People.load(
        user_ids=[row["task__leader_id"] for row in rows],
        head_department_ids=[row["task__lead_department_id"] for row in rows],
    )
    messages = []
    behind = set(behind_ids)
    for row in rows:
        step = Status.BEHIND if row["pk"] in behind else Status.AT_RISK
        leader = people.by_id.get(row["task__leader_id"])
        heads = people.heads.get(row["task__lead_department_id"], [])
        for person in [leader, *heads]:
            if person is not None:
                messages.append(_message(row, person, step))
    outbox.write_direct(messages)
    return len(rows)
