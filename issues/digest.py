"""The daily digest: leaders their open escalations, heads their due-soon and overdue."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from liaison import workdays
from liaison.models import Role
from notifications import api as outbox
from notifications.api import EMAIL, IN_APP, Message, Person, Row, site_url

from .models import DISTRICT_LEADER, OPEN_STATUSES, Problem
from .notifications import DIGEST_KIND, _date

DUE_SOON_WORKING_DAYS = 2


def send_daily_digest(*, now: dt.datetime | None = None) -> int:
    """08:30 on working days: leaders their open escalations, heads their due-soon and overdue.

    Once per person and day (dedupe key), nothing for an empty list, a fixed number of
    queries. Returns the number of outbox rows written.
    """
    now = now or timezone.now()
    today = workdays.local_date(now)
    if not workdays.is_working_day(today):
        return 0
    open_problems = Problem.objects.filter(status__in=OPEN_STATUSES)
    fields = ("pk", "reference", "title", "due_at", "escalation_level", "lead_department_id")
    escalated = list(
        open_problems.filter(escalation_level__gte=1)
        .values(*fields, leader_id=DISTRICT_LEADER)
        .order_by("due_at", "pk")
    )
    # Due soon: due by the end of the next working day (the last 2 working days), or overdue.
    last_day = workdays.add_working_days(today, DUE_SOON_WORKING_DAYS - 1).value
    due_soon = list(
        open_problems.filter(due_at__lte=workdays.end_of_day(last_day))
        .values(*fields)
        .order_by("due_at", "pk")
    )
    lists: dict[int, list[dict]] = {}
    for problem in escalated:
        if problem["leader_id"]:
            lists.setdefault(problem["leader_id"], []).append(problem)
    departments = {p["lead_department_id"] for p in due_soon}
    people_rows = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pk__in=list(lists))
            | Q(profile__role=Role.PRINCIPAL)
            | Q(profile__role=Role.DEPARTMENT_HEAD, profile__department_id__in=departments)
        )
        .values_list("pk", "profile__role", "profile__department_id")
    )
    level_two = [p for p in escalated if p["escalation_level"] >= 2]
    for pk, role, department_id in people_rows:
        if role == Role.PRINCIPAL:
            known = {p["pk"] for p in lists.get(pk, [])}
            lists.setdefault(pk, []).extend(p for p in level_two if p["pk"] not in known)
        elif role == Role.DEPARTMENT_HEAD:
            mine = [p for p in due_soon if p["lead_department_id"] == department_id]
            if mine:
                lists.setdefault(pk, []).extend(mine)
    lists = {pk: problems for pk, problems in lists.items() if problems}
    if not lists:
        return 0
    people = outbox.people(lists)
    rows = []
    for user_id, problems in lists.items():
        person = people.get(user_id)
        if person is None:
            continue
        message = _render_digest(person, problems, today, now)
        for channel in (IN_APP, EMAIL) if person.email and person.wants_email else (IN_APP,):
            rows.append(
                Row(
                    recipient_id=user_id,
                    channel=channel,
                    kind=DIGEST_KIND,
                    event_id=None,
                    problem_id=None,
                    dedupe_key=f"digest:{today.isoformat()}",
                    subject=message.subject,
                    body=message.text,
                    body_html=message.html if channel == EMAIL else "",
                    url=message.path,
                )
            )
    return outbox.write(rows, now)


def _render_digest(person: Person, problems: list[dict], today: dt.date, now) -> Message:
    base = site_url()
    with translation.override(person.language):
        items = [
            {
                "reference": p["reference"],
                "title": p["title"],
                "due_date": _date(p["due_at"]),
                "overdue": p["due_at"] is not None and p["due_at"] < now,
                "escalation_level": p["escalation_level"],
                "url": base + reverse("issues:detail", args=[p["reference"]]),
            }
            for p in problems
        ]
        context = {
            "LANGUAGE_CODE": person.language,
            "name": person.name,
            "problems": items,
            "date": formats.date_format(today, "DATE_FORMAT"),
            "overdue_count": sum(1 for item in items if item["overdue"]),
            "url": base + reverse("home"),
        }
        subject = render_to_string("emails/digest_subject.txt", context)
        return Message(
            subject=" ".join(subject.split())[:200],
            text=render_to_string("emails/digest.txt", context),
            rendered_html=render_to_string("emails/digest.html", context),
            sms="",
            path=reverse("home"),
        )
