"""Face-to-face meeting statistics per meeting and per year (DESIGN.md §6), via issues.metrics.

Four queries whatever the number of meetings, invitations or problems: the year's
meetings, their invitations grouped by meeting, their problems grouped by meeting
(conditional aggregates of issues.metrics), and the distinct enterprises that attended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from issues import metrics
from issues.models import Problem

from .models import Invitation, Meeting

HELD_STATUSES = (Meeting.Status.HELD, Meeting.Status.CLOSED)
COUNTS = ("received", "accepted", "concluded", "on_time")


@dataclass(frozen=True)
class MeetingStatistics:
    meeting: Meeting
    invited: int
    attended: int
    problems: int  # raised for the meeting (every problem, accepted or not)
    accepted: int
    concluded: int
    on_time: int
    conclusion_rate: Decimal | None  # percent: concluded / accepted
    on_time_rate: Decimal | None  # percent: on time / concluded


@dataclass(frozen=True)
class YearStatistics:
    year: int
    meetings_held: int
    enterprises_attended: int  # distinct: an enterprise at three meetings counts once
    problems: int
    accepted: int
    concluded: int
    on_time: int
    conclusion_rate: Decimal | None
    on_time_rate: Decimal | None
    meetings: list[MeetingStatistics] = field(default_factory=list)


def meeting_years() -> list[int]:
    """Years that have face-to-face meetings, newest first."""
    return list(Meeting.objects.order_by("-year").values_list("year", flat=True).distinct())


def year_statistics(year: int, *, now: dt.datetime | None = None) -> YearStatistics:
    """The year's summary and one row per meeting of the year, by number."""
    now = now or timezone.now()
    meetings = list(Meeting.objects.filter(year=year).order_by("number", "pk"))
    invitations = {
        row["meeting"]: row
        for row in Invitation.objects.filter(meeting__year=year)
        .order_by()
        .values("meeting")
        .annotate(invited=Count("pk"), attended=Count("pk", filter=Q(attended=True)))
    }
    problems = {
        row["meeting"]: row
        for row in Problem.objects.filter(meeting__year=year)
        .order_by()
        .values("meeting")
        .annotate(**{name: metrics.totals(now)[name] for name in COUNTS})
    }
    enterprises_attended = Invitation.objects.filter(
        meeting__year=year, meeting__status__in=HELD_STATUSES, attended=True
    ).aggregate(n=Count("enterprise", distinct=True))["n"]

    rows = []
    for meeting in meetings:
        invited = invitations.get(meeting.pk, {})
        counts = metrics.with_rates(
            {name: problems.get(meeting.pk, {}).get(name, 0) for name in COUNTS}
        )
        rows.append(
            MeetingStatistics(
                meeting=meeting,
                invited=invited.get("invited", 0),
                attended=invited.get("attended", 0),
                problems=counts["received"],
                accepted=counts["accepted"],
                concluded=counts["concluded"],
                on_time=counts["on_time"],
                conclusion_rate=counts["conclusion_rate"],
                on_time_rate=counts["on_time_rate"],
            )
        )
    year_counts = metrics.with_rates(
        {name: sum(row.get(name, 0) for row in problems.values()) for name in COUNTS}
    )
    return YearStatistics(
        year=year,
        meetings_held=sum(1 for m in meetings if m.status in HELD_STATUSES),
        enterprises_attended=enterprises_attended,
        problems=year_counts["received"],
        accepted=year_counts["accepted"],
        concluded=year_counts["concluded"],
        on_time=year_counts["on_time"],
        conclusion_rate=year_counts["conclusion_rate"],
        on_time_rate=year_counts["on_time_rate"],
        meetings=rows,
    )
