"""What the problem's workflow and pages ask of meetings (issues.extensions).

issues sits below meetings and imports nothing from it: these are registered with it in
meetings' AppConfig.ready. The checks and the clock were issues.workflow's own.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from issues import extensions
from issues.models import Problem
from issues.workflow import NotAllowed
from liaison import permissions
from liaison.models import Enterprise

from . import coordination_selectors, selectors
from .models import Invitation, Meeting


def _require(condition: bool, message) -> None:
    if not condition:
        raise NotAllowed(message)


def check_submit(actor, enterprise: Enterprise, meeting) -> None:
    """A problem is raised for a meeting its enterprise is invited to, before it is over.

    An enterprise submits only for a planned meeting; the office may also register
    problems raised at a meeting already held (their clock starts on the meeting's
    date when dispatched). A meeting entered afterwards (补录) took place already: its
    problems are registered once it is marked held, so that none is dispatched to
    wait for it and then finds its deadline passed before its on-site answer is in.
    """
    # Read afresh: the form that offered the meeting may be older than its last change.
    status, entered_afterwards, invited = (
        Meeting.objects.filter(pk=meeting.pk)
        .annotate(
            invited=Exists(Invitation.objects.filter(meeting=OuterRef("pk"), enterprise=enterprise))
        )
        .values_list("status", "entered_afterwards", "invited")
        .get()
    )
    _require(
        not (entered_afterwards and status == Meeting.Status.PLANNED),
        _(
            "Meeting %(meeting)s took place before it was entered: mark it held first, "
            "then register the problems raised there."
        )
        % {"meeting": meeting},
    )
    allowed = [Meeting.Status.PLANNED]
    if permissions.is_office(actor):
        allowed.append(Meeting.Status.HELD)
    _require(
        status in allowed,
        _("Meeting %(meeting)s is already held; problems can no longer be submitted for it.")
        % {"meeting": meeting}
        if status == Meeting.Status.HELD
        else _("Meeting %(meeting)s is closed; problems can no longer be raised for it.")
        % {"meeting": meeting},
    )
    _require(
        invited,
        _("%(enterprise)s is not invited to meeting %(meeting)s.")
        % {"enterprise": enterprise.name, "meeting": meeting},
    )


def clock(problem: Problem, now: dt.datetime) -> tuple[bool, dt.datetime]:
    """When the clock of a problem dispatched now starts: (waits for its meeting, start).

    A problem raised for a face-to-face meeting still planned waits for it; one raised
    for a meeting already held starts on the meeting's date (DESIGN.md §5), so its
    deadline may already be past when the meeting was entered afterwards. Anything
    else starts now. The meeting row is locked, so that marking it held (which locks
    it first, then starts the clocks of its dispatched problems) cannot slip between
    this check and the dispatch: a problem is dispatched either before (its clock is
    started there) or after (its clock starts here).
    """
    if problem.meeting_id is None or problem.clock_started_at is not None:
        return False, now
    status, starts_at = (
        Meeting.objects.select_for_update()
        .filter(pk=problem.meeting_id)
        .values_list("status", "starts_at")
        .get()
    )
    if status == Meeting.Status.PLANNED:
        return True, now
    return False, min(starts_at, now)


def held_start(meeting_id: int) -> dt.datetime | None:
    """The meeting's start if it is held, else None (the answers given there may be recorded)."""
    meeting = Meeting.objects.filter(pk=meeting_id).values("status", "starts_at").first()
    if meeting is None or meeting["status"] != Meeting.Status.HELD:
        return None
    return meeting["starts_at"]


def register() -> None:
    """Called by MeetingsConfig.ready. Looked up when called, so that tests may replace them."""
    extensions.register_meetings(
        extensions.MeetingHooks(
            check_submit=check_submit,
            clock=clock,
            held_start=held_start,
            open_for_submission=lambda **kw: selectors.open_for_submission(**kw),
            problem_coordination=lambda **kw: coordination_selectors.problem_coordination(**kw),
            coordination_annotations=lambda: coordination_selectors.coordination_annotations(),
            action_item_problems=lambda department_id: coordination_selectors.action_item_problems(
                department_id
            ),
            department_open_items=lambda *a, **kw: coordination_selectors.department_open_items(
                *a, **kw
            ),
        )
    )
