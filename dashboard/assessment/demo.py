"""Demo: a year of frozen monthly assessments from the demo problems (seed_demo calls
`seed_assessments` after the problems and the sweep). Idempotent: a year with a scheme
keeps it, a frozen month stays as it is; deterministic apart from today's date."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from liaison import workdays

from . import figures
from .models import AssessmentMonth, AssessmentScheme
from .services import (
    first_working_day_after,
    month_freeze,
    month_recalculate,
    scheme_create,
)

MONTHS = 12
# The office's weights: version 1 as set at the start of the year, version 2 after it
# decided call-back satisfaction should weigh more than extensions.
WEIGHTS_V1 = {
    "acknowledged": 15,
    "on_time": 30,
    "satisfaction_self": 20,
    "satisfaction_callback": 10,
    "reopen": 10,
    "overdue": 10,
    "extension": 5,
}
WEIGHTS_V2 = {**WEIGHTS_V1, "satisfaction_callback": 15, "extension": 0}


def _freeze_moment(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(
        first_working_day_after(month), dt.time(1, 10), tzinfo=workdays.SHANGHAI
    )


def seed_assessments(district) -> None:
    office = district.users.get("office1")
    now = timezone.now()
    this_month = figures.month_start(workdays.local_date(now))
    months, month = [], this_month
    for _step in range(MONTHS):
        month = figures.month_start(month - dt.timedelta(days=1))
        months.append(month)
    months.reverse()
    for year in sorted({m.year for m in months} | {this_month.year}):
        if office is not None and not AssessmentScheme.objects.filter(year=year).exists():
            scheme_create(
                year=year,
                weights=WEIGHTS_V1,
                actor=office,
                note="年初印发的考核办法",
                now=min(now, dt.datetime(year, 1, 5, 9, tzinfo=workdays.SHANGHAI)),
            )
            if year == this_month.year:
                scheme_create(
                    year=year,
                    weights=WEIGHTS_V2,
                    actor=office,
                    note="加大回访满意度权重",
                    now=min(now, dt.datetime(year, 1, 20, 9, tzinfo=workdays.SHANGHAI)),
                )
    for month in months:
        moment = _freeze_moment(month)
        if moment > now:  # the latest month's freezing day has not come yet
            continue
        month_freeze(month=month, now=moment)
    # The office recalculated the latest frozen month once, after a late correction.
    latest = AssessmentMonth.objects.order_by("-month").first()
    if office is not None and latest is not None and latest.recalculated_at is None:
        month_recalculate(
            month=latest.month,
            actor=office,
            reason="部门反映一件诉求评价录入有误，核实后重算",
            now=min(now, latest.frozen_at + dt.timedelta(days=1)),
        )
