"""Template helpers for problems: the deadline marker and status badges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import template
from django.utils import timezone
from django.utils.html import format_html

from liaison import workdays

from .. import metrics
from ..models import OPEN_STATUSES, AppealType, Status

register = template.Library()

STATUS_CLASSES = {
    Status.SUBMITTED: "text-bg-secondary",
    Status.DISPATCHED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.RESOLVED: "text-bg-success",
    Status.CLOSED: "text-bg-dark",
    Status.REJECTED: "text-bg-light border",
}


@dataclass(frozen=True)
class DeadlineState:
    """How a problem stands against its deadline, for display."""

    due_at: dt.datetime | None
    is_open: bool
    overdue: bool
    warning: bool
    days_left: int  # working days after today up to the due day; 0 on the due day
    days_overdue: int
    provisional: bool
    on_time: bool | None  # for concluded problems: answered by the deadline in force then
    # Dispatched early for a face-to-face meeting not yet held: the clock starts that day.
    meeting_date: dt.date | None = None


def deadline_state(problem, now: dt.datetime | None = None) -> DeadlineState:
    now = now or timezone.now()
    due_at = problem.due_at
    # A problem returned to the office keeps its running clock: it can be overdue too.
    is_open = problem.status in OPEN_STATUSES or (
        problem.status == Status.SUBMITTED and due_at is not None
    )
    if due_at is None:
        meeting_date = None
        if problem.status == Status.DISPATCHED and problem.meeting_id is not None:
            # The lists and the problem page select_related("meeting"): no query here.
            meeting_date = problem.meeting.local_date
        return DeadlineState(None, is_open, False, False, 0, 0, False, None, meeting_date)
    today, due_day = workdays.local_date(now), workdays.local_date(due_at)
    overdue = is_open and now > due_at
    days_left = days_overdue = 0
    if is_open and not overdue:
        days_left = max(workdays.working_days_between(today, due_day).value, 0)
    if overdue:
        days_overdue = max(workdays.working_days_between(due_day, today).value, 0)
    warning = is_open and not overdue and problem.warn_at is not None and now >= problem.warn_at
    on_time = metrics.answered_on_time(problem)
    return DeadlineState(
        due_at=due_at,
        is_open=is_open,
        overdue=overdue,
        warning=warning,
        days_left=days_left,
        days_overdue=days_overdue,
        provisional=problem.deadline_provisional,
        on_time=on_time,
    )


@register.inclusion_tag("issues/includes/deadline.html", takes_context=True)
def deadline(context, problem, compact=False):
    return {"state": deadline_state(problem, context.get("now")), "compact": compact}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def reference_nowrap(reference: str) -> str:
    """A reference (2026-00002) that a phone does not cut at its hyphen, inside a sentence."""
    return format_html('<span class="text-nowrap">{}</span>', reference)


@register.filter
def yuan(amount) -> str:
    """An amount of yuan as read in the active language (issues.relief.money)."""
    from ..relief.money import format_yuan

    return format_yuan(amount)


@register.filter
def appeal_type_label(value: str) -> str:
    """The translated name of an appeal type stored as its value (timeline events' data)."""
    try:
        return AppealType(value).label
    except ValueError:
        return value or "—"
