"""Every write on face-to-face meetings: create, edit, invite, reply, mark held, close, answers.

DESIGN.md §6. Each service locks the meeting row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serialises writers) and checks the version the form was rendered with, so a
stale page or a double click changes nothing. Problem fields are written only through
issues.workflow: the clock start on the meeting's date, the on-site answer. Invited
enterprises are told of their invitation, of a new date or venue and of a withdrawn
invitation (meetings.notifications) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, Max, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import Problem
from liaison import choices, permissions, workdays
from liaison.locking import StaleVersion, check_version, lock_versioned
from liaison.models import Department, Enterprise

from . import notifications as notify
from .models import Invitation, Meeting, MeetingCounter


class MeetingError(workflow.TransitionError):
    """A meeting change that may not happen; `message` is shown to the user as it is."""


class StaleMeeting(MeetingError, StaleVersion):
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


def _stale() -> StaleMeeting:
    return StaleMeeting(
        _(
            "This meeting was changed by someone else while you were looking at it. "
            "The page now shows its current state; please check and try again."
        )
    )


def _lock(meeting_id: int, expected_version: int | None = None) -> Meeting:
    return lock_versioned(
        Meeting.objects,
        meeting_id,
        expected_version,
        missing=MeetingError(_("This meeting does not exist.")),
        stale=_stale(),
    )


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


def _when(moment: dt.datetime) -> str:
    """A date and time as the user's language writes it (2025年9月30日 15:53)."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _check_people(presiding_leaders, departments) -> None:
    if not all(permissions.is_leader(user) for user in presiding_leaders):
        raise MeetingError(_("Presiding leaders must be district leaders."))
    inactive = [d.name for d in departments if not d.is_active]
    if inactive:
        raise MeetingError(
            _("These departments are not active: %(names)s.") % {"names": "、".join(inactive)}
        )


def _lock_year(year: int) -> MeetingCounter:
    """The year's counter row, locked until commit: one numbering of a year at a time."""
    MeetingCounter.objects.bulk_create(
        [MeetingCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    return MeetingCounter.objects.select_for_update().get(year=year)


def _free_number(year: int) -> int:
    """A number no meeting of the year has (the year is locked): the new one's, until renumbered."""
    return (Meeting.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0) + 1


def _renumber(counter: MeetingCounter) -> None:
    """Number the year's meetings 1, 2, 3 … by date (第N期), the year being locked.

    A meeting entered afterwards, or moved, takes its place among the others by date.
    Only the numbers that change are written, in two UPDATEs: first out of the way
    (above every number in use), then into place, so the unique (year, number)
    constraint holds after every row of both, as PostgreSQL checks it.
    """
    rows = list(
        Meeting.objects.filter(year=counter.year)
        .order_by("starts_at", "pk")
        .values_list("pk", "number")
    )
    wanted = {pk: n for n, (pk, _number) in enumerate(rows, start=1)}
    moved = [pk for pk, number in rows if wanted[pk] != number]
    if moved:
        highest = max(number for _pk, number in rows)
        Meeting.objects.filter(pk__in=moved).update(number=F("number") + highest)
        Meeting.objects.filter(pk__in=moved).update(
            number=Case(*(When(pk=pk, then=Value(wanted[pk])) for pk in moved))
        )
        # An UPDATE sends no post_save: the dashboard's meeting list shows the numbers.
        choices.invalidate(Meeting)
    if counter.last_number != len(rows):
        counter.last_number = len(rows)
        counter.save(update_fields=["last_number"])


def _invite(meeting: Meeting, enterprises: Iterable[Enterprise], now: dt.datetime) -> int:
    """Invite the enterprises not invited yet, and tell them; returns how many."""
    already = set(meeting.invitations.values_list("enterprise_id", flat=True))
    new = [e.pk for e in dict.fromkeys(enterprises) if e.pk not in already]
    if not new:
        return 0
    Invitation.objects.bulk_create(
        [Invitation(meeting=meeting, enterprise_id=pk, invited_at=now) for pk in new],
        ignore_conflicts=True,
    )
    # Read back for their ids (ignore_conflicts returns none), which key the messages.
    invitations = list(meeting.invitations.filter(enterprise_id__in=new))
    notify.meeting_invited(meeting=meeting, invitations=invitations, now=now)
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
    """Plan a face-to-face meeting, or record one that already took place.

    Its number (第N期) is its place among the year's meetings by date: the others are
    renumbered. A meeting created after its start is marked as entered afterwards
    (补录): the office marks it held, then registers the problems raised there.
    """
    now = now or timezone.now()
    _require_manager(actor)
    theme = _clean(theme, _("A meeting needs a theme."))
    venue = _clean(venue, _("A meeting needs a venue."))
    presiding_leaders, departments = list(presiding_leaders), list(departments)
    _check_people(presiding_leaders, departments)
    counter = _lock_year(workdays.local_date(starts_at).year)
    meeting = Meeting.objects.create(
        year=counter.year,
        number=_free_number(counter.year),
        theme=theme,
        starts_at=starts_at,
        venue=venue,
        entered_afterwards=starts_at <= now,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _renumber(counter)
    meeting.refresh_from_db(fields=["number"])
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

    A planned meeting may move within its year (its number is of its year), also to an
    earlier time when it really started then; the year's meetings are renumbered by
    date. Once held, its date is where its problems' clocks started: it stays.
    """
    now = now or timezone.now()
    _require_manager(actor)
    theme = _clean(theme, _("A meeting needs a theme."))
    venue = _clean(venue, _("A meeting needs a venue."))
    presiding_leaders, departments = list(presiding_leaders), list(departments)
    _check_people(presiding_leaders, departments)
    # The year first, then the meeting: the order in which meeting_create's renumbering
    # takes them, so that an edit and a new meeting of the same year cannot deadlock.
    year = Meeting.objects.filter(pk=meeting_id).values_list("year", flat=True).first()
    counter = _lock_year(year) if year is not None else None
    meeting = _lock(meeting_id, expected_version)
    if meeting.status == Meeting.Status.CLOSED:
        raise MeetingError(_("A closed meeting can no longer be changed."))
    moved = starts_at != meeting.starts_at
    if moved:
        if meeting.status != Meeting.Status.PLANNED:
            raise MeetingError(
                _(
                    "The meeting is already held: its date, where its problems' deadlines "
                    "started, cannot change."
                )
            )
        if workdays.local_date(starts_at).year != meeting.year:
            raise MeetingError(
                _(
                    "A meeting cannot move to another year (its number is of its year); "
                    "plan a new meeting instead."
                )
            )
    old_starts_at, old_venue = meeting.starts_at, meeting.venue
    meeting.theme, meeting.venue, meeting.starts_at = theme, venue, starts_at
    fields = ["theme", "venue", "starts_at"]
    # Entered afterwards by mistake (its real date is ahead): a planned meeting after all,
    # whose invitations go out now.
    ahead_after_all = moved and meeting.entered_afterwards and starts_at > now
    if ahead_after_all:
        meeting.entered_afterwards = False
        fields.append("entered_afterwards")
    if minutes is not None:
        meeting.minutes = minutes.strip()
        fields.append("minutes")
    _touch(meeting, now, *fields)
    if moved:
        _renumber(counter)
        meeting.refresh_from_db(fields=["number"])
    if ahead_after_all:
        notify.meeting_invited(meeting=meeting, invitations=meeting.invitations.all(), now=now)
    elif meeting.status == Meeting.Status.PLANNED and (moved or venue != old_venue):
        notify.meeting_changed(
            meeting=meeting, old_starts_at=old_starts_at, old_venue=old_venue, now=now
        )
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
    invitation = meeting.invitations.filter(enterprise=enterprise).first()
    if invitation is None:
        raise MeetingError(_("%(name)s is not invited.") % {"name": enterprise.name})
    notify.meeting_uninvited(meeting=meeting, invitation=invitation, now=now)
    invitation.delete()
    _touch(meeting, now)


@transaction.atomic
def invitation_reply(
    *,
    meeting_id: int,
    actor,
    attending: bool,
    now: dt.datetime | None = None,
) -> Invitation:
    """An invited enterprise says it will attend the meeting, or that it cannot.

    Any active user of the enterprise replies for it, and may change the reply until
    the meeting starts. The office sees the replies on the meeting page; the meeting's
    version does not change (an office's open form stays valid).
    """
    now = now or timezone.now()
    enterprise_id = permissions.enterprise_id_of(actor)
    if enterprise_id is None:
        raise MeetingError(_("Only an invited enterprise replies to an invitation."))
    # Locked like every change of the meeting's invitations: a reply cannot slip in
    # after the office marked the meeting held or withdrew the invitation.
    meeting = _lock(meeting_id)
    invitation = meeting.invitations.filter(enterprise_id=enterprise_id).first()
    if invitation is None:
        raise MeetingError(_("Your enterprise is not invited to this meeting."))
    if meeting.status != Meeting.Status.PLANNED or meeting.starts_at <= now:
        raise MeetingError(_("The meeting has already started: your reply can no longer change."))
    reply = Invitation.Reply.CONFIRMED if attending else Invitation.Reply.DECLINED
    if invitation.reply != reply:
        invitation.reply, invitation.replied_at, invitation.replied_by = reply, now, actor
        invitation.save(update_fields=["reply", "replied_at", "replied_by"])
    return invitation


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
    check_version(meeting, expected_version, _stale())
    if now < meeting.starts_at:
        raise MeetingError(
            _("The meeting starts at %(time)s: it can be marked held once it has started.")
            % {"time": _when(meeting.starts_at)}
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
    lead_department: Department | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """An answer given at the meeting to one of its problems (a public timeline entry).

    With `resolve`, the problem was fully answered there and is concluded on the spot.
    A problem registered after the meeting and not dispatched yet goes to
    `lead_department`, the department that answered, in the same step. The problem's
    state changes in issues.workflow (problem_answer_on_site).
    """
    belongs = Problem.objects.filter(pk=problem_id, meeting_id=meeting_id).exists()
    if not belongs:
        raise MeetingError(_("This problem was not raised for this meeting."))
    return workflow.problem_answer_on_site(
        problem_id=problem_id,
        actor=actor,
        answer=answer,
        resolve=resolve,
        lead_department=lead_department,
        expected_version=expected_version,
        now=now,
    )
