"""Every write of the assessment: saving a year's weights (a new version), freezing a month,
recalculating a frozen month (the office, explicitly, logged), and keeping the provisional
months' counts (the snapshot their ranking page reads, refreshed by a beat task)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import permissions, workdays
from liaison.locking import StaleVersion, check_version

from . import figures
from .models import (
    DEFAULT_WEIGHTS,
    INDICATOR_KEYS,
    AssessmentLog,
    AssessmentMonth,
    AssessmentRow,
    AssessmentScheme,
    ProvisionalMonth,
    ProvisionalRow,
)

# The months a scheme may be set for, and a month frozen or recalculated, around today.
FIRST_YEAR = 2000
WEIGHT_TOTAL = 100
REASON_MAX = 200


class AssessmentError(Exception):
    """A change that may not happen; `message` is shown to the user as it is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class StaleAssessment(AssessmentError, StaleVersion):
    """The month was recalculated while the user was looking at it."""


def _require(condition: bool, message) -> None:
    if not condition:
        raise AssessmentError(message)


def latest_scheme(year: int) -> AssessmentScheme | None:
    return AssessmentScheme.objects.filter(year=year).order_by("-version").first()


def weights_valid(weights: dict[str, int]) -> None:
    """Raise AssessmentError unless every indicator has a weight 0-100 and they sum to 100."""
    _require(
        set(weights) == set(INDICATOR_KEYS),
        _("Give a weight for every indicator."),
    )
    for value in weights.values():
        _require(
            isinstance(value, int) and 0 <= value <= WEIGHT_TOTAL,
            _("Each weight is a whole number of percent from 0 to 100."),
        )
    total = sum(weights.values())
    _require(
        total == WEIGHT_TOTAL,
        _("The weights must add up to 100%%; they add up to %(total)s%%. Nothing was saved.")
        % {"total": total},
    )


def scheme_create(
    *, year: int, weights: dict[str, int], actor, note: str = "", now=None
) -> AssessmentScheme:
    """Save the year's weights as its next version (earlier versions are kept)."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office sets the weights."))
    this_year = workdays.local_date(now).year
    _require(
        FIRST_YEAR <= year <= this_year + 1,
        _("Choose a year from %(first)s to %(last)s.")
        % {"first": FIRST_YEAR, "last": this_year + 1},
    )
    weights_valid(weights)
    _require(len(note) <= REASON_MAX, _("The note is too long (200 characters at most)."))
    with transaction.atomic():
        # Two offices saving at once: the unique (year, version) makes one of them retry.
        last = AssessmentScheme.objects.filter(year=year).aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return AssessmentScheme.objects.create(
                    year=year,
                    version=last + 1,
                    note=note,
                    created_by=actor,
                    created_at=now,
                    **{f"w_{key}": value for key, value in weights.items()},
                )
        except IntegrityError:
            raise AssessmentError(
                _("Someone saved weights for this year at the same moment: please try again.")
            ) from None


def _weights_for(month: dt.date) -> tuple[AssessmentScheme | None, dict[str, int]]:
    scheme = latest_scheme(month.year)
    return scheme, (scheme.weights if scheme else dict(DEFAULT_WEIGHTS))


def _rows(assessment: AssessmentMonth, standings) -> list[AssessmentRow]:
    return [
        AssessmentRow(
            assessment=assessment,
            department_id=s.department_id,
            score=s.score,
            rank=s.rank,
            **{name: s.counts[name] for name in figures.COUNT_NAMES},
        )
        for s in standings
    ]


def month_is_over(month: dt.date, now: dt.datetime) -> bool:
    return figures.next_month(month) <= workdays.local_date(now)


def month_freeze(*, month: dt.date, now=None, actor=None) -> AssessmentMonth | None:
    """Freeze `month` (a past month): count, score, rank and store its rows. A month
    already frozen is left as it is (None returned): only a recalculation changes it."""
    now = now or timezone.now()
    month = figures.month_start(month)
    _require(month_is_over(month, now), _("A month can be frozen only once it is over."))
    with transaction.atomic():
        if AssessmentMonth.objects.filter(month=month).exists():
            return None
        scheme, weights = _weights_for(month)
        standings = figures.standings(figures.count_month(month, now), weights)
        try:
            with transaction.atomic():
                assessment = AssessmentMonth.objects.create(
                    month=month,
                    scheme=scheme,
                    weights=weights,
                    computed_at=now,
                    frozen_at=now,
                )
        except IntegrityError:  # another worker froze it meanwhile
            return None
        AssessmentRow.objects.bulk_create(_rows(assessment, standings))
        AssessmentLog.objects.create(
            month=month,
            kind=AssessmentLog.Kind.FROZEN,
            actor=actor,
            at=now,
            scheme_version=scheme.version if scheme else None,
            changed_rows=len(standings),
        )
    return assessment


def month_recalculate(
    *, month: dt.date, actor, expected_version: int | None = None, reason: str = "", now=None
) -> AssessmentMonth:
    """Recount a frozen month now, with the year's latest weights; logged, and shown on the
    page as "recalculated on … by …"."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office recalculates a month."))
    reason = reason.strip()
    _require(len(reason) <= REASON_MAX, _("The reason is too long (200 characters at most)."))
    with transaction.atomic():
        try:
            assessment = AssessmentMonth.objects.select_for_update().get(
                month=figures.month_start(month)
            )
        except AssessmentMonth.DoesNotExist:
            raise AssessmentError(
                _("This month is not frozen yet: nothing to recalculate.")
            ) from None
        check_version(
            assessment,
            expected_version,
            StaleAssessment(_("This month was recalculated meanwhile: look at its figures again.")),
        )
        before = {
            row["department_id"]: (row["score"], row["rank"])
            for row in assessment.rows.values("department_id", "score", "rank")
        }
        scheme, weights = _weights_for(assessment.month)
        standings = figures.standings(figures.count_month(assessment.month, now), weights)
        assessment.rows.all().delete()
        AssessmentRow.objects.bulk_create(_rows(assessment, standings))
        changed = sum(
            1 for s in standings if before.get(s.department_id) != (s.score, s.rank)
        ) + len(set(before) - {s.department_id for s in standings})
        assessment.scheme = scheme
        assessment.weights = weights
        assessment.computed_at = now
        assessment.recalculated_at = now
        assessment.recalculated_by = actor
        assessment.version += 1
        assessment.save()
        AssessmentLog.objects.create(
            month=assessment.month,
            kind=AssessmentLog.Kind.RECALCULATED,
            actor=actor,
            at=now,
            scheme_version=scheme.version if scheme else None,
            changed_rows=changed,
            reason=reason,
        )
    return assessment


def first_working_day_after(month: dt.date) -> dt.date:
    """The first working day of the month after `month` (when `month` is frozen)."""
    day = figures.next_month(month)
    return day if workdays.is_working_day(day) else workdays.add_working_days(day, 1).value


def months_to_freeze(now: dt.datetime, *, back: int = 12) -> list[dt.date]:
    """The past months (up to `back`) not frozen yet whose freezing day has come."""
    today = workdays.local_date(now)
    month = figures.month_start(today)
    candidates = []
    for _step in range(back):
        month = figures.month_start(month - dt.timedelta(days=1))
        if first_working_day_after(month) <= today:
            candidates.append(month)
    frozen = set(
        AssessmentMonth.objects.filter(month__in=candidates).values_list("month", flat=True)
    )
    return sorted(m for m in candidates if m not in frozen)


def assessments_freeze_due(*, now=None) -> list[AssessmentMonth]:
    """The beat task's work: freeze every month whose freezing day has come (idempotent)."""
    now = now or timezone.now()
    frozen = []
    for month in months_to_freeze(now):
        assessment = month_freeze(month=month, now=now)
        if assessment is not None:
            frozen.append(assessment)
    return frozen


# --- provisional months (counted ahead of time, never published) --------------------------


def provisional_months(now: dt.datetime) -> list[dt.date]:
    """The months the beat task keeps counted: this month, and last month until it is
    frozen (on the first working day after it)."""
    this_month = figures.month_start(workdays.local_date(now))
    last_month = figures.month_start(this_month - dt.timedelta(days=1))
    frozen = AssessmentMonth.objects.filter(month=last_month).exists()
    return [this_month] if frozen else [this_month, last_month]


def provisional_refresh(*, month: dt.date, now=None) -> ProvisionalMonth | None:
    """Count `month` (not frozen) now and keep the counts as its provisional snapshot,
    replacing the previous one; None, and any snapshot removed, if the month is frozen.

    The counting runs before the transaction (it is the long part, seconds at a million
    problems); the replacement is short, under the snapshot's row lock, and keeps the newer
    count when two refreshes overlap (the beat task and a page counting a month nobody had).
    """
    now = now or timezone.now()
    month = figures.month_start(month)
    _require(
        month <= figures.month_start(workdays.local_date(now)),
        _("A month ahead cannot be counted."),
    )
    counts = figures.count_month(month, now)
    with transaction.atomic():
        if AssessmentMonth.objects.filter(month=month).exists():
            ProvisionalMonth.objects.filter(month=month).delete()
            return None
        snapshot, created = ProvisionalMonth.objects.select_for_update().get_or_create(
            month=month, defaults={"computed_at": now}
        )
        if not created:
            if snapshot.computed_at >= now:  # a later count was stored meanwhile
                return snapshot
            snapshot.rows.all().delete()
            snapshot.computed_at = now
            snapshot.save(update_fields=["computed_at"])
        ProvisionalRow.objects.bulk_create(
            ProvisionalRow(snapshot=snapshot, department_id=department_id, **row)
            for department_id, row in counts.items()
        )
    return snapshot


def provisionals_refresh_due(*, now=None) -> list[ProvisionalMonth]:
    """The beat task's work: recount the provisional months; drop the snapshots of months
    frozen since, or too old to be provisional (a page counts such a month again if asked)."""
    now = now or timezone.now()
    months = provisional_months(now)
    ProvisionalMonth.objects.exclude(month__in=months).delete()
    refreshed = []
    for month in months:
        snapshot = provisional_refresh(month=month, now=now)
        if snapshot is not None:
            refreshed.append(snapshot)
    return refreshed
