"""Reads of the assessment: a month's ranking (frozen rows, or the provisional snapshot of a
month not frozen yet), the year, the problems behind a figure (permission-filtered), the log.

`frozen_ranking(month)` is what other pages (the monthly bulletin) call for a month's
published ranking: the stored rows, never recounted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from issues.models import Problem
from issues.selectors import visible_to
from liaison import permissions, workdays

from . import figures
from .figures import Standing
from .models import (
    DEFAULT_WEIGHTS,
    AssessmentLog,
    AssessmentMonth,
    AssessmentRow,
    ProvisionalMonth,
    ProvisionalRow,
)
from .services import latest_scheme


@dataclass
class Ranking:
    """A month's (or a year's) standings; `assessment` is None when the month is not frozen
    (provisional: its snapshot, or counted live)."""

    month: dt.date | None
    standings: list[Standing]
    weights: dict[str, int]
    assessment: AssessmentMonth | None = None
    scheme_version: int | None = None
    computed_at: dt.datetime | None = None
    months: list[dt.date] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return self.assessment is None


def _standing_of(row: AssessmentRow) -> Standing:
    counts = {name: getattr(row, name) for name in figures.COUNT_NAMES}
    return Standing(
        department_id=row.department_id,
        label=row.department.name,
        counts=counts,
        values=figures.indicator_values(counts),
        score=row.score,
        rank=row.rank,
    )


def _rows_of(assessment: AssessmentMonth) -> list[Standing]:
    rows = AssessmentRow.objects.filter(assessment=assessment).select_related("department")
    standings = [_standing_of(row) for row in rows]
    standings.sort(key=lambda s: (s.rank is None, s.rank or 0, s.label))
    return standings


def frozen_ranking(month: dt.date) -> Ranking | None:
    """The frozen ranking of `month` as published (two queries), or None if not frozen."""
    assessment = (
        AssessmentMonth.objects.select_related("scheme", "recalculated_by")
        .filter(month=figures.month_start(month))
        .first()
    )
    if assessment is None:
        return None
    return Ranking(
        month=assessment.month,
        standings=_rows_of(assessment),
        weights=assessment.weights,
        assessment=assessment,
        scheme_version=assessment.scheme.version if assessment.scheme else None,
        computed_at=assessment.computed_at,
    )


def live_ranking(month: dt.date, now: dt.datetime | None = None) -> Ranking:
    """`month` counted now with the year's latest weights: provisional, not stored."""
    now = now or timezone.now()
    month = figures.month_start(month)
    scheme = latest_scheme(month.year)
    weights = scheme.weights if scheme else dict(DEFAULT_WEIGHTS)
    return Ranking(
        month=month,
        standings=figures.standings(figures.count_month(month, now), weights),
        weights=weights,
        scheme_version=scheme.version if scheme else None,
        computed_at=now,
    )


def provisional_stale_after() -> dt.timedelta:
    """How old a provisional snapshot may be: three refreshes missed (beat or the workers
    down) and the page counts the month again rather than show old figures."""
    return dt.timedelta(seconds=3 * settings.LIAISON_ASSESSMENT_REFRESH_SECONDS)


def provisional_ranking(month: dt.date, now: dt.datetime | None = None) -> Ranking | None:
    """`month`'s provisional snapshot weighed with the year's latest weights (three
    queries whatever the number of problems), or None when it has none recent enough."""
    now = now or timezone.now()
    month = figures.month_start(month)
    snapshot = ProvisionalMonth.objects.filter(month=month).first()
    if snapshot is None or snapshot.computed_at < now - provisional_stale_after():
        return None
    return snapshot_ranking(snapshot)


def snapshot_ranking(snapshot: ProvisionalMonth) -> Ranking:
    """The ranking of a provisional snapshot: its counts, the year's latest weights."""
    scheme = latest_scheme(snapshot.month.year)
    weights = scheme.weights if scheme else dict(DEFAULT_WEIGHTS)
    counts, labels = {}, {}
    for row in ProvisionalRow.objects.filter(snapshot=snapshot).select_related("department"):
        counts[row.department_id] = {name: getattr(row, name) for name in figures.COUNT_NAMES}
        labels[row.department_id] = row.department.name
    return Ranking(
        month=snapshot.month,
        standings=figures.standings(counts, weights, labels),
        weights=weights,
        scheme_version=scheme.version if scheme else None,
        computed_at=snapshot.computed_at,
    )


def month_ranking(month: dt.date, now: dt.datetime | None = None) -> Ranking | None:
    """The frozen ranking if the month is frozen, else its provisional snapshot; None when
    neither exists (the page then counts the month once: services.provisional_refresh)."""
    return frozen_ranking(month) or provisional_ranking(month, now)


def year_ranking(year: int) -> Ranking:
    """The frozen months of `year` added up per department, scored with the year's latest
    weights (or the defaults); the provisional current month is not in it."""
    scheme = latest_scheme(year)
    weights = scheme.weights if scheme else dict(DEFAULT_WEIGHTS)
    rows = AssessmentRow.objects.filter(assessment__month__year=year).select_related(
        "department", "assessment"
    )
    per_month: dict[dt.date, dict[int, dict]] = {}
    labels: dict[int, str] = {}
    for row in rows:
        labels[row.department_id] = row.department.name
        per_month.setdefault(row.assessment.month, {})[row.department_id] = {
            name: getattr(row, name) for name in figures.COUNT_NAMES
        }
    standings = figures.standings(figures.summed(list(per_month.values())), weights, labels)
    return Ranking(
        month=None,
        standings=standings,
        weights=weights,
        scheme_version=scheme.version if scheme else None,
        months=sorted(per_month),
    )


def is_frozen(month: dt.date) -> bool:
    return AssessmentMonth.objects.filter(month=figures.month_start(month)).exists()


def month_log(month: dt.date) -> QuerySet[AssessmentLog]:
    return AssessmentLog.objects.filter(month=figures.month_start(month)).select_related("actor")


def may_see_department(user, department_id: int) -> bool:
    """The office and leaders see every department's figures; a head their own."""
    if permissions.can_see_all_departments(user):
        return True
    return permissions.is_department_head(user) and (
        permissions.department_id_of(user) == department_id
    )


def problems_behind(
    *, user, month: dt.date, department_id: int, figure: str, now: dt.datetime | None = None
) -> QuerySet[Problem]:
    """The problems behind `figure` of `department_id` in `month`, as they are now, among
    those `user` may see (404 for a department or figure the user may not open)."""
    if figure not in figures.FIGURE_NAMES or not may_see_department(user, department_id):
        raise Http404
    now = now or timezone.now()
    frozen = AssessmentMonth.objects.filter(month=figures.month_start(month)).first()
    # Overdue is counted at a moment: the frozen month's, else now.
    at = frozen.computed_at if frozen else now
    base = figures.month_problems(month).filter(lead_department_id=department_id)
    annotated, conditions = figures.figure_conditions(base, at)
    visible = visible_to(user).values("pk")
    return (
        annotated.filter(conditions[figure], pk__in=visible)
        .select_related("enterprise", "lead_department")
        .order_by("created_at", "pk")
    )


def months_offered(now: dt.datetime, back: int = 24) -> list[dt.date]:
    """The current month and the `back` before it, newest first (the month picker)."""
    month = figures.month_start(workdays.local_date(now))
    months = [month]
    for _step in range(back):
        month = figures.month_start(month - dt.timedelta(days=1))
        months.append(month)
    return months
