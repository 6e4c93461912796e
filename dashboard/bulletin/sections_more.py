"""The bulletin's sections from the apps that came after it: common problems' progress
(policy); the assessment's ranking and burden relief follow when they are merged.

Each is a builder over BulletinContext (dashboard.bulletin.sections), a presenter for the
page, and an .xlsx sheet; `register_all` (DashboardConfig.ready) puts them in their place.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liaison import workdays

from .export import register_sheet
from .sections import BulletinContext, Section, month_bounds, register
from .selectors import PRESENTERS

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


def register_all() -> None:
    """Put the sections in their place (DashboardConfig.ready)."""
    register(
        Section(
            "common_problems", gettext_lazy("Common problems' progress"), build_common_problems
        ),
        after="departments_below",
    )
    PRESENTERS.setdefault("common_problems", _present_common_problems)
