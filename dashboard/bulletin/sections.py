"""The bulletin's sections: what each one computes for a month, kept as JSON in the snapshot.

A section is a builder (BulletinContext -> JSON-able dict, or None to leave it out), a
template that shows it (templates/dashboard/bulletin/sections/<key>.html) and the
tables of its .xlsx sheet (dashboard.bulletin.export). Sections are listed in SECTIONS,
in the order the page shows them; an app that adds one (assessment, common problems,
burden relief) appends it here with `register`. A bulletin shows the sections its
snapshot holds: one generated before a section existed never grows it.

The month's figures are those of the dashboard for the same period (problems received
in the month, Asia/Shanghai), counted by dashboard.figures through issues.metrics, live
(never the summary cells), with "now" the time of generation: the month compared with
the month before. The overdue and escalated problems and the departments' overdue count
are the whole backlog at that time, whenever the problems were received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from issues import metrics
from issues.models import DISTRICT_LEADER_RELATIONS, Problem
from keytasks.models import KeyTask
from liaison import workdays
from liaison.models import Department
from liaison.templatetags.liaison_tags import person_name

from ..figures import ESCALATED_NOW, Dashboard, Figures, dashboard
from .models import BulletinThresholds

SCHEMA = 1
# The most rising categories and towns named, and overdue problems listed.
HOTSPOTS = 5
OVERDUE_LISTED = 20
# The counts and rates kept for each figure (issues.metrics.with_rates).
COUNTS = ("received", "accepted", "concluded", "on_time", "open", "overdue", "evaluated")
COUNTS += ("satisfied", "escalated")
RATES = ("conclusion_rate", "on_time_rate", "satisfaction_rate")


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month of `month`."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def decimal_text(value: Decimal | None) -> str | None:
    """A Decimal as JSON keeps it exactly: a string ("93.5"); None stays None."""
    return None if value is None else str(value)


def figures_json(figures: Figures) -> dict:
    """The counts and rates of one group, as kept in the snapshot."""
    data = {name: figures.counts.get(name, 0) for name in COUNTS}
    data.update({name: decimal_text(figures.counts.get(name)) for name in RATES})
    data["average_working_days"] = decimal_text(figures.average_working_days)
    return data


def received_in(month: dt.date):
    first, last = month_bounds(month)
    return Problem.objects.filter(
        created_at__gte=workdays.start_of_day(first),
        created_at__lt=workdays.start_of_day(last + dt.timedelta(days=1)),
    )


class BulletinContext:
    """What the builders share: the month, the time of generation, the thresholds, and
    the month's and the previous month's dashboard figures (computed once, when asked)."""

    def __init__(self, month: dt.date, *, now: dt.datetime, thresholds: BulletinThresholds):
        self.month = month.replace(day=1)
        self.previous = previous_month(self.month)
        self.now = now
        self.thresholds = thresholds

    def figures_of(self, month: dt.date) -> Dashboard:
        return dashboard(
            received_in(month), period=month_bounds(month), list_params={}, now=self.now
        )

    @cached_property
    def current(self) -> Dashboard:
        return self.figures_of(self.month)

    @cached_property
    def before(self) -> Dashboard:
        return self.figures_of(self.previous)

    @cached_property
    def departments(self) -> dict[int, Department]:
        return {d.pk: d for d in Department.objects.all()}

    @cached_property
    def backlog_by_department(self) -> dict[int, dict[str, int]]:
        """Overdue now and escalated now per lead department, whenever received (one query)."""
        rows = (
            Problem.objects.filter(metrics.OPEN)
            .filter(Q(metrics.overdue_now(self.now)) | Q(ESCALATED_NOW))
            .order_by()
            .values("lead_department")
            .annotate(
                overdue=Count("pk", filter=metrics.overdue_now(self.now)),
                escalated=Count("pk", filter=ESCALATED_NOW),
            )
        )
        return {
            row["lead_department"]: {"overdue": row["overdue"], "escalated": row["escalated"]}
            for row in rows
            if row["lead_department"] is not None
        }

    def department_name(self, pk: int | None) -> str:
        department = self.departments.get(pk)
        return (department.short_name or department.name) if department else ""


# --- the sections ---------------------------------------------------------------------


def build_headline(ctx: BulletinContext) -> dict:
    """Received, accepted, concluded, on time, satisfaction: the month and the month before."""
    current = figures_json(ctx.current.headline)
    previous = figures_json(ctx.before.headline)
    changes = {}
    for name in COUNTS:
        changes[name] = current[name] - previous[name]
    for name in (*RATES, "average_working_days"):
        now_, then = current[name], previous[name]
        changes[name] = (
            None if now_ is None or then is None else decimal_text(Decimal(now_) - Decimal(then))
        )
    return {"current": current, "previous": previous, "changes": changes}


def _rising(current: list[Figures], before: list[Figures], name: Callable) -> list[dict]:
    """Groups received more problems this month than the month before, most added first."""
    previous = {f.key.pk if f.key else None: f.received for f in before}
    rows = []
    for f in current:
        if f.key is None:
            continue  # no category or no town: not a place or a kind of problem
        then = previous.get(f.key.pk, 0)
        if f.received > then:
            rows.append({**name(f.key), "current": f.received, "previous": then})
    rows.sort(key=lambda r: (-(r["current"] - r["previous"]), -r["current"], r["name"]))
    for row in rows:
        row["change"] = row["current"] - row["previous"]
    return rows[:HOTSPOTS]


def build_hotspots(ctx: BulletinContext) -> dict:
    """Categories and towns (or streets) with more problems than the month before."""
    return {
        "categories": _rising(
            ctx.current.categories,
            ctx.before.categories,
            lambda c: {"name": c.name_zh, "name_en": c.name_en},
        ),
        "towns": _rising(
            ctx.current.towns,
            ctx.before.towns,
            lambda t: {"name": t.short_name or t.name, "name_en": ""},
        ),
    }


def build_departments_below(ctx: BulletinContext) -> dict:
    """Departments under the office's thresholds: the month's on-time or satisfaction rate
    (over enough problems to judge), or more problems overdue now than allowed."""
    t = ctx.thresholds
    month_rows = {f.key.pk: f for f in ctx.current.departments if f.key is not None}
    backlog = ctx.backlog_by_department
    rows = []
    for pk in sorted(set(month_rows) | set(backlog)):
        f = month_rows.get(pk)
        overdue = backlog.get(pk, {}).get("overdue", 0)
        reasons = []
        if f is not None and f.concluded >= t.min_rated and f.on_time_rate is not None:
            if f.on_time_rate < t.min_on_time_rate:
                reasons.append("on_time")
        if f is not None and f.evaluated >= t.min_rated and f.satisfaction_rate is not None:
            if f.satisfaction_rate < t.min_satisfaction_rate:
                reasons.append("satisfaction")
        if overdue > t.max_overdue:
            reasons.append("overdue")
        if not reasons:
            continue
        rows.append(
            {
                "name": ctx.department_name(pk),
                "received": f.received if f else 0,
                "concluded": f.concluded if f else 0,
                "on_time_rate": decimal_text(f.on_time_rate) if f else None,
                "evaluated": f.evaluated if f else 0,
                "satisfaction_rate": decimal_text(f.satisfaction_rate) if f else None,
                "overdue": overdue,
                "reasons": reasons,
            }
        )
    rows.sort(key=lambda r: (-len(r["reasons"]), -r["overdue"], r["name"]))
    return {
        "thresholds": {
            "min_on_time_rate": decimal_text(t.min_on_time_rate),
            "min_satisfaction_rate": decimal_text(t.min_satisfaction_rate),
            "max_overdue": t.max_overdue,
            "min_rated": t.min_rated,
        },
        "rows": rows,
    }


def build_key_tasks_behind(ctx: BulletinContext) -> dict:
    """The year's key tasks at risk or behind when the bulletin is generated (one query)."""
    today = workdays.local_date(ctx.now)
    tasks = (
        KeyTask.objects.filter(
            year=ctx.month.year, status__in=[KeyTask.Status.AT_RISK, KeyTask.Status.BEHIND]
        )
        .select_related("leader__profile", "lead_department")
        .annotate(
            overdue_milestones=Count(
                "milestones",
                filter=Q(milestones__done_date__isnull=True, milestones__due_date__lt=today),
            )
        )
        .order_by("number")
    )
    return {
        "rows": [
            {
                "year": task.year,
                "number": task.number,
                "title": task.title,
                "leader": person_name(task.leader),
                "lead_department": task.lead_department.short_name or task.lead_department.name,
                "status": task.status,
                "percent": task.percent,
                "overdue_milestones": task.overdue_milestones,
            }
            for task in tasks
        ]
    }


def build_overdue(ctx: BulletinContext) -> dict:
    """Problems open past their deadline, and escalated ones, when the bulletin is generated:
    the totals, per lead department, and the most overdue (three queries)."""
    backlog = ctx.backlog_by_department
    by_department = [{"name": ctx.department_name(pk), **counts} for pk, counts in backlog.items()]
    by_department.sort(key=lambda r: (-r["overdue"], -r["escalated"], r["name"]))
    late = (
        Problem.objects.filter(metrics.overdue_now(ctx.now))
        .select_related("lead_department", *DISTRICT_LEADER_RELATIONS)
        .order_by("due_at", "pk")[:OVERDUE_LISTED]
    )
    today = workdays.local_date(ctx.now)
    problems = []
    for problem in late:
        due_day = workdays.local_date(problem.due_at)
        problems.append(
            {
                "reference": problem.reference,
                "title": problem.title,
                "lead_department": ctx.department_name(problem.lead_department_id),
                "leader": person_name(problem.district_leader),
                "due_date": due_day.isoformat(),
                "overdue_working_days": workdays.working_days_between(due_day, today).value,
                "escalation_level": problem.escalation_level,
            }
        )
    return {
        "overdue": sum(r["overdue"] for r in by_department),
        "escalated": sum(r["escalated"] for r in by_department),
        "by_department": by_department,
        "problems": problems,
    }


# --- the registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    title: object  # a lazy translation
    build: Callable[[BulletinContext], dict | None]

    @property
    def template(self) -> str:
        return f"dashboard/bulletin/sections/{self.key}.html"


SECTIONS: list[Section] = [
    Section("headline", _("Headline figures"), build_headline),
    Section("hotspots", _("Hotspots: rising categories and towns"), build_hotspots),
    Section("departments_below", _("Departments below the thresholds"), build_departments_below),
    Section("key_tasks_behind", _("Key tasks behind"), build_key_tasks_behind),
    Section("overdue", _("Overdue and escalated problems"), build_overdue),
]


def register(section: Section, *, after: str | None = None) -> None:
    """Add a section (after the one keyed `after`, else at the end); once per key."""
    if any(s.key == section.key for s in SECTIONS):
        return
    keys = [s.key for s in SECTIONS]
    index = keys.index(after) + 1 if after in keys else len(SECTIONS)
    SECTIONS.insert(index, section)


def section(key: str) -> Section | None:
    return next((s for s in SECTIONS if s.key == key), None)


def build_snapshot(month: dt.date, *, now: dt.datetime, thresholds: BulletinThresholds) -> dict:
    """Every section's figures for `month`, as of `now`."""
    ctx = BulletinContext(month, now=now, thresholds=thresholds)
    first, last = month_bounds(ctx.month)
    sections = {}
    for s in SECTIONS:
        data = s.build(ctx)
        if data is not None:
            sections[s.key] = data
    return {
        "schema": SCHEMA,
        "month": f"{ctx.month:%Y-%m}",
        "period": [first.isoformat(), last.isoformat()],
        "previous_month": f"{ctx.previous:%Y-%m}",
        "as_of": now.isoformat(),
        "sections": sections,
    }
