"""Every write on face-to-face meetings: create, edit, invite, mark held, close, answers on site.

DESIGN.md §6. Each service locks the meeting row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serialises writers) and checks the version the form was rendered with, so a
stale page or a double click changes nothing. Problem fields are written only through
issues.workflow: the clock start on the meeting's date, the on-site answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import Problem
from liaison import permissions, workdays
from liaison.models import Department, Enterprise

from .models import Invitation, Meeting, MeetingCounter


class MeetingError(workflow.TransitionError):
    """A meeting change that may not happen; `message` is shown to the user as it is."""


class StaleMeeting(MeetingError):
    pass


@dataclass
class HeldResult:
    """What marking a meeting held did: nothing at all if it was already held."""

    meeting: Meeting
    already_held: bool = False
    started: list[int] = field(default_factory=list)  # problems whose clock started


# --- helpers ---------------------------------------------------------------------------


def _require_manager(actor) -> None:
    if not permissions.can_manage_meetings(actor):
        raise MeetingError(_("Only the liaison office manages face-to-face meetings."))


def _lock(meeting_id: int, expected_version: int | None = None) -> Meeting:
    try:
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    except Meeting.DoesNotExist:
        raise MeetingError(_("This meeting does not exist.")) from None
    if expected_version is not None and meeting.version != expected_version:
        raise StaleMeeting(
            _(
                "This meeting was changed by someone else while you were looking at it. "
                "The page now shows its current state; please check and try again."
            )
        )
    return meeting


def _touch(meeting: Meeting, now: dt.datetime, *fields: str) -> None:
    """Save `fields`, the update time and the next version (the row is locked)."""
    meeting.updated_at = now
    meeting.version += 1
    meeting.save(update_fields=[*fields, "updated_at", "version"])


def _clean(text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise MeetingError(message)
    return text


def _check_future(starts_at: dt.datetime, now: dt.datetime) -> None:
    if starts_at <= now:
        raise MeetingError(
            _("A meeting in the past cannot be planned: choose a date and time after now.")
        )


def _check_people(presiding_leaders, departments) -> None:
    if not all(permissions.is_leader(user) for user in presiding_leaders):
        raise MeetingError(_("Presiding leaders must be district leaders."))
    inactive = [d.name for d in departments if not d.is_active]
    if inactive:
        raise MeetingError(
            _("These departments are not active: %(names)s.") % {"names": "、".join(inactive)}
        )


def _next_number(year: int) -> int:
    """The year's next meeting number; the counter row stays locked until commit."""
    MeetingCounter.objects.bulk_create(
        [MeetingCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    counter = MeetingCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _invite(meeting: Meeting, enterprises: Iterable[Enterprise], now: dt.datetime) -> int:
    already = set(meeting.invitations.values_list("enterprise_id", flat=True))
    new = [e for e in dict.fromkeys(enterprises) if e.pk not in already]
    Invitation.objects.bulk_create(
        [Invitation(meeting=meeting, enterprise=e, invited_at=now) for e in new],
        ignore_conflicts=True,
    )
    return len(new)


# --- services --------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor,
    theme: str,
    starts_at: dt.datetime,
    venue: str,
    presiding_leaders: Iterable = (),
    departments: Iterable[Department] = (),
    enterprises: Iterable[Enterprise] = (),
    now: dt.datetime | None = None,
) -> Meeting:
    """Plan a face-to-face meeting; it gets the next number of its year (第N期)."""
    now = now or timezone.now()
    _require_manager(actor)
    theme = _clean(theme, _("A meeting needs a theme."))
    venue = _clean(venue, _("A meeting needs a venue."))
    _check_future(starts_at, now)
    presiding_leaders, departments = list(presiding_leaders), list(departments)
    _check_people(presiding_leaders, departments)
    year = workdays.local_date(starts_at).year
    meeting = Meeting.objects.create(
        year=year,
        number=_next_number(year),
        theme=theme,
        starts_at=starts_at,
        venue=venue,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    meeting.presiding_leaders.set(presiding_leaders)
    meeting.departments.set(departments)
    _invite(meeting, enterprises, now)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting_id: int,
    actor,
    theme: str,
    starts_at: dt.datetime,
    venue: str,
    presiding_leaders: Iterable = (),
    departments: Iterable[Department] = (),
    minutes: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Edit a meeting that is not closed.

    A planned meeting may move, but not into the past nor into another year (its number
    is of its year). Once held, its date is where its problems' clocks started: it stays.
    """
    now = now or timezone.now()
    _require_manager(actor)
    theme = _clean(theme, _("A meeting needs a theme."))
    venue = _clean(venue, _("A meeting needs a venue."))
    presiding_leaders, departments = list(presiding_leaders), list(departments)
    _check_people(presiding_leaders, departments)
    meeting = _lock(meeting_id, expected_version)
    if meeting.status == Meeting.Status.CLOSED:
        raise MeetingError(_("A closed meeting can no longer be changed."))
    if starts_at != meeting.starts_at:
        if meeting.status != Meeting.Status.PLANNED:
            raise MeetingError(
                _(
                    "The meeting is already held: its date, where its problems' deadlines "
                    "started, cannot change."
                )
            )
        _check_future(starts_at, now)
        if workdays.local_date(starts_at).year != meeting.year:
            raise MeetingError(
                _(
                    "A meeting cannot move to another year (its number is of its year); "
                    "plan a new meeting instead."
                )
            )
    meeting.theme, meeting.venue, meeting.starts_at = theme, venue, starts_at
    fields = ["theme", "venue", "starts_at"]
    if minutes is not None:
        meeting.minutes = minutes.strip()
        fields.append("minutes")
    _touch(meeting, now, *fields)
    meeting.presiding_leaders.set(presiding_leaders)
    meeting.departments.set(departments)
    return meeting


@transaction.atomic
def meeting_invite(
    *,
    meeting_id: int,
    actor,
    enterprises: Iterable[Enterprise],
    now: dt.datetime | None = None,
) -> int:
    """Invite enterprises to a planned meeting; returns how many were newly invited."""
    now = now or timezone.now()
    _require_manager(actor)
    enterprises = list(enterprises)
    if not enterprises:
        raise MeetingError(_("Choose at least one enterprise to invite."))
    meeting = _lock(meeting_id)
    if meeting.status != Meeting.Status.PLANNED:
        raise MeetingError(_("The meeting is already held: invitations can no longer change."))
    added = _invite(meeting, enterprises, now)
    if added:
        _touch(meeting, now)
    return added


@transaction.atomic
def meeting_uninvite(
    *,
    meeting_id: int,
    actor,
    enterprise: Enterprise,
    now: dt.datetime | None = None,
) -> None:
    """Withdraw an invitation to a planned meeting, if the enterprise raised nothing for it."""
    now = now or timezone.now()
    _require_manager(actor)
    meeting = _lock(meeting_id)
    if meeting.status != Meeting.Status.PLANNED:
        raise MeetingError(_("The meeting is already held: invitations can no longer change."))
    if Problem.objects.filter(meeting=meeting, enterprise=enterprise).exists():
        raise MeetingError(
            _("%(name)s has raised problems for this meeting; its invitation stays.")
            % {"name": enterprise.name}
        )
    deleted, _rows = Invitation.objects.filter(meeting=meeting, enterprise=enterprise).delete()
    if not deleted:
        raise MeetingError(_("%(name)s is not invited.") % {"name": enterprise.name})
    _touch(meeting, now)


@transaction.atomic
def meeting_mark_held(
    *,
    meeting_id: int,
    actor,
    attended: Iterable[int] = (),
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> HeldResult:
    """The meeting took place: record attendance and start its problems' clocks.

    `attended`: ids of the invited enterprises that came; the others are recorded as
    absent. Every problem dispatched early for the meeting gets its 10-working-day
    clock started at the meeting's time (DESIGN.md §5), in a fixed number of queries.
    Marking a meeting held a second time changes nothing (`already_held`).
    """
    now = now or timezone.now()
    _require_manager(actor)
    attended = {int(pk) for pk in attended}
    meeting = _lock(meeting_id)
    if meeting.status != Meeting.Status.PLANNED:
        # Checked before the version: a double click finds the meeting already held.
        return HeldResult(meeting=meeting, already_held=True)
    if expected_version is not None and meeting.version != expected_version:
        _lock(meeting_id, expected_version)  # raises StaleMeeting
    if workdays.local_date(now) < meeting.local_date:
        raise MeetingError(
            _("The meeting is on %(date)s: it can be marked held from that day.")
            % {"date": meeting.local_date.isoformat()}
        )
    invited = set(meeting.invitations.values_list("enterprise_id", flat=True))
    if attended - invited:
        raise MeetingError(_("Only invited enterprises can be recorded as attending."))
    meeting.invitations.update(
        attended=Case(When(enterprise_id__in=attended, then=Value(True)), default=Value(False))
    )
    meeting.status = Meeting.Status.HELD
    meeting.held_at, meeting.held_by = now, actor
    _touch(meeting, now, "status", "held_at", "held_by")
    started = workflow.problems_start_meeting_clock(meeting=meeting, actor=actor, now=now)
    return HeldResult(meeting=meeting, started=started)


@transaction.atomic
def meeting_close(
    *,
    meeting_id: int,
    actor,
    minutes: str | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Close a held meeting: its record is complete.

    The minutes are required: they are the meeting's record, and closing says the
    record is done. Closing does not touch the problems, whose handling goes on (the
    handling list follows them); it ends on-site answers and registrations for it.
    """
    now = now or timezone.now()
    _require_manager(actor)
    meeting = _lock(meeting_id, expected_version)
    if meeting.status == Meeting.Status.PLANNED:
        raise MeetingError(_("Only a meeting that was held can be closed."))
    if meeting.status == Meeting.Status.CLOSED:
        raise MeetingError(_("This meeting is already closed."))
    if minutes is not None and minutes.strip():
        meeting.minutes = minutes.strip()
    if not meeting.minutes:
        raise MeetingError(_("Write the minutes before closing the meeting."))
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = now
    _touch(meeting, now, "status", "closed_at", "minutes")
    return meeting


def meeting_record_answer(
    *,
    meeting_id: int,
    problem_id: int,
    actor,
    answer: str,
    resolve: bool = False,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """An answer given at the meeting to one of its problems (a public timeline entry).

    With `resolve`, the problem was fully answered there and is concluded on the spot.
    The problem's state changes in issues.workflow (problem_answer_on_site).
    """
    belongs = Problem.objects.filter(pk=problem_id, meeting_id=meeting_id).exists()
    if not belongs:
        raise MeetingError(_("This problem was not raised for this meeting."))
    return workflow.problem_answer_on_site(
        problem_id=problem_id,
        actor=actor,
        answer=answer,
        resolve=resolve,
        expected_version=expected_version,
        now=now,
    )
