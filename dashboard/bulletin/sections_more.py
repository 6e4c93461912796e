"""The bulletin's sections from the apps that came after it: the assessment's ranking
(dashboard.assessment), common problems' progress (policy) and burden relief (issues.relief).

Each is a builder over BulletinContext (dashboard.bulletin.sections), a presenter for the
page, and an .xlsx sheet; `register_all` (DashboardConfig.ready) puts them in their place.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.selectors import relief_totals
from liaison import workdays
from liaison.xlsx import rate

from .export import register_sheet
from .sections import BulletinContext, Section, decimal_text, month_bounds, register
from .selectors import PRESENTERS

# The most departments named in the relief section.
RELIEF_DEPARTMENTS = 5

# --- the assessment's ranking ------------------------------------------------------------


def build_assessment(ctx: BulletinContext) -> dict:
    """The month's department ranking: the frozen one (the assessment freezes a month on
    the first working day after it, before the bulletin), else counted now, provisional."""
    from ..assessment.selectors import frozen_ranking, live_ranking

    ranking = frozen_ranking(ctx.month)
    frozen = ranking is not None
    if ranking is None:
        ranking = live_ranking(ctx.month, ctx.now)
    return {
        "frozen": frozen,
        "scheme_version": ranking.scheme_version,
        "rows": [
            {
                "rank": standing.rank,
                "name": standing.label,
                "score": decimal_text(standing.score),
                "accepted": standing.counts.get("accepted", 0),
                "on_time_rate": decimal_text(standing.values.get("on_time")),
            }
            for standing in ranking.standings
        ],
    }


@register_sheet("assessment")
def _assessment_sheet(data: dict) -> list:
    return [
        (
            _("Assessment ranking"),
            [
                (_("Rank"), 8),
                (_("Department"), 28),
                (_("Score"), 10),
                (_("Accepted"), 10),
                (_("On-time rate %"), 12),
            ],
            [
                [r["rank"], r["name"], r["score"], r["accepted"], rate(r["on_time_rate"])]
                for r in data["rows"]
            ],
        )
    ]


def _present_assessment(data: dict) -> dict:
    for row in data["rows"]:
        row["score"] = None if row["score"] is None else Decimal(row["score"])
    return data


# --- common problems' progress -------------------------------------------------------------


def build_common_problems(ctx: BulletinContext) -> dict:
    """Each common problem open in the month: linked problems, measures issued, milestones."""
    from policy.selectors import month_progress

    first, last = month_bounds(ctx.month)
    rows = month_progress(
        workdays.start_of_day(first), workdays.start_of_day(last + dt.timedelta(days=1))
    )
    keep = (
        "title",
        "status",
        "lead_department",
        "published",
        "problems_total",
        "problems_linked",
        "enterprises_total",
        "measures_issued",
        "milestones_done",
        "milestones_overdue",
    )
    return {"rows": [{name: row[name] for name in keep} for row in rows]}


def _present_common_problems(data: dict) -> dict:
    from policy.models import CommonProblem

    names = dict(CommonProblem.Status.choices)
    for row in data["rows"]:
        row["status_label"] = str(names.get(row["status"], row["status"]))
    return data


@register_sheet("common_problems")
def _common_problems_sheet(data: dict) -> list:
    return [
        (
            _("Common problems"),
            [
                (_("Common problem"), 36),
                (_("Status"), 14),
                (_("Lead department"), 18),
                (_("Problems linked"), 10),
                (_("Linked this month"), 10),
                (_("Enterprises"), 10),
                (_("Measures issued this month"), 12),
                (_("Milestones done this month"), 12),
                (_("Milestones overdue"), 12),
            ],
            [
                [
                    r["title"],
                    r["status_label"],
                    r["lead_department"],
                    r["problems_total"],
                    r["problems_linked"],
                    r["enterprises_total"],
                    r["measures_issued"],
                    r["milestones_done"],
                    r["milestones_overdue"],
                ]
                for r in data["rows"]
            ],
        )
    ]


# --- burden relief ----------------------------------------------------------------------


def _yuan(amount) -> str:
    """Yuan with two decimals, the same text whatever the database's sum gave (SQLite
    sums decimals without their places)."""
    return str(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _relief_json(totals) -> dict:
    return {
        "amount": _yuan(totals.total.amount),
        "firms": totals.total.firms,
        "jobs": totals.total.jobs,
        "lines": totals.total.lines,
        "by_kind": [
            {"kind": row.key, "amount": _yuan(row.amount), "lines": row.lines}
            for row in totals.by_kind
            if row.lines
        ],
    }


def build_relief(ctx: BulletinContext) -> dict:
    """Burden relief counted in the month (the day of the first answer), by kind and lead
    department, and the year to the month's end (two queries)."""
    first, last = month_bounds(ctx.month)
    month = relief_totals(since=first, until=last)
    year = relief_totals(since=first.replace(month=1), until=last)
    data = {"month": _relief_json(month), "year": _relief_json(year)}
    data["by_department"] = [
        {"name": row.label, "amount": _yuan(row.amount), "lines": row.lines}
        for row in month.by_department[:RELIEF_DEPARTMENTS]
        if row.lines
    ]
    return data


def ten_thousands(amount) -> Decimal:
    """Yuan as 万元 with two decimals, as such reports give money."""
    return (Decimal(amount) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _present_relief(data: dict) -> dict:
    from issues.relief.models import ReliefKind

    names = dict(ReliefKind.choices)
    for part in ("month", "year"):
        data[part]["amount_wan"] = ten_thousands(data[part]["amount"])
        for row in data[part]["by_kind"]:
            row["label"] = str(names.get(row["kind"], row["kind"]))
            row["amount_wan"] = ten_thousands(row["amount"])
    for row in data["by_department"]:
        row["amount_wan"] = ten_thousands(row["amount"])
    return data


@register_sheet("relief")
def _relief_sheet(data: dict) -> list:
    month, year = data["month"], data["year"]
    # The year runs to the month's end: every kind of the month is one of the year's.
    this_month = {row["kind"]: row["amount"] for row in month["by_kind"]}
    rows = [[_("Total"), ten_thousands(month["amount"]), ten_thousands(year["amount"])]]
    for row in year["by_kind"]:
        rows.append(
            [
                row["label"],
                ten_thousands(this_month.get(row["kind"], 0)),
                ten_thousands(row["amount"]),
            ]
        )
    rows.append([_("Firms affected"), month["firms"], year["firms"]])
    rows.append([_("Jobs affected"), month["jobs"], year["jobs"]])
    return [
        (
            _("Burden relief"),
            [
                (_("Kind"), 24),
                (_("This month (10,000 yuan)"), 16),
                (_("Year to date (10,000 yuan)"), 16),
            ],
            rows,
        )
    ]


def register_all() -> None:
    """Put the sections in their place (DashboardConfig.ready): the ranking after the
    departments below the thresholds, then common problems; relief after the key tasks."""
    register(
        Section("assessment", gettext_lazy("Department assessment ranking"), build_assessment),
        after="departments_below",
    )
    register(
        Section(
            "common_problems", gettext_lazy("Common problems' progress"), build_common_problems
        ),
        after="assessment",
    )
    register(
        Section("relief", gettext_lazy("Burden relief"), build_relief), after="key_tasks_behind"
    )
    PRESENTERS.setdefault("assessment", _present_assessment)
    PRESENTERS.setdefault("common_problems", _present_common_problems)
    PRESENTERS.setdefault("relief", _present_relief)
