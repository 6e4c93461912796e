"""The problem state machine: every transition of DESIGN.md §4, and the only writer of status.

Each transition locks the problem row (SELECT ... FOR UPDATE; on SQLite the
IMMEDIATE transaction serialises writers), re-checks the state and the actor's
right on the locked row, applies the change with a conditional UPDATE guarded
by the version it read, and writes its ProblemEvent and the event's outbox rows
(issues.notifications) in the same transaction; delivery is queued after the
commit. Two clicks, two tabs or two users acting at once therefore apply a
transition once; the loser gets a TransitionError saying what happened.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays
from liaison.models import Department, Enterprise, Role

from . import notifications
from .models import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    ReferenceCounter,
    Satisfaction,
    Status,
)

WARNING_WORKING_DAYS = 2
# Left `submitted` longer than this, the office is reminded (DESIGN.md §5).
TRIAGE_WORKING_DAYS = 1
# Still open this long after the first escalation, it goes to the principal leaders.
SECOND_ESCALATION_WORKING_DAYS = 5
# Answered and not evaluated this long, the problem closes as "not evaluated".
AUTO_CLOSE_WORKING_DAYS = 5


class TransitionError(Exception):
    """A transition that may not happen; `message` is shown to the user as it is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class NotAllowed(TransitionError):
    pass


class WrongState(TransitionError):
    pass


class StaleProblem(TransitionError):
    pass


# A problem submitted again with the same title and text within this time is a duplicate.
RESUBMIT_WINDOW = dt.timedelta(minutes=30)


class DuplicateSubmission(TransitionError):
    """The same form was submitted twice; `problem` is the one the first submission made."""

    def __init__(self, problem) -> None:
        super().__init__(_("This form was already submitted; the problem was saved once."))
        self.problem = problem


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool


def deadline_from(start_at: dt.datetime, working_days: int | None = None) -> Deadline:
    """Deadline, warning time and provisional flag for a clock started at `start_at`."""
    n = working_days or settings.LIAISON_DEADLINE_WORKING_DAYS
    due_at, provisional = workdays.deadline_after(start_at, n)
    return _with_warning(due_at, provisional)


def _with_warning(due_at: dt.datetime, provisional: bool) -> Deadline:
    due_day = workdays.local_date(due_at)
    warn_day, warn_provisional = workdays.add_working_days(due_day, -(WARNING_WORKING_DAYS - 1))
    return Deadline(
        due_at=due_at,
        warn_at=workdays.start_of_day(warn_day),
        provisional=provisional or warn_provisional,
    )


def extended_deadline(due_at: dt.datetime, days: int) -> Deadline:
    day, provisional = workdays.add_working_days(workdays.local_date(due_at), days)
    return _with_warning(workdays.end_of_day(day), provisional)


def remind_at_from(moment: dt.datetime) -> dt.datetime:
    """When the office is reminded of a problem left `submitted` since `moment`."""
    return workdays.deadline_after(moment, TRIAGE_WORKING_DAYS).value


def autoclose_at_from(resolved_at: dt.datetime) -> dt.datetime:
    """When an answer given at `resolved_at` and not evaluated closes by itself."""
    return workdays.deadline_after(resolved_at, AUTO_CLOSE_WORKING_DAYS).value


def deadline_moved_fields(problem: Problem, deadline: Deadline, *, now: dt.datetime) -> dict:
    """The stored times when the deadline in force moves (extension, calendar edit).

    A new deadline version: its warning and escalations may happen once more. If the
    new deadline is still ahead, the problem is no longer overdue: the warning and the
    pending escalations are cleared (escalation_level stays, as history). If it has
    already passed, nothing is cleared, so the problem is not escalated twice for the
    same lateness.
    """
    fields: dict = {
        "due_at": deadline.due_at,
        "warn_at": deadline.warn_at,
        "deadline_provisional": deadline.provisional,
    }
    if deadline.due_at == problem.due_at:
        return fields
    fields["deadline_version"] = problem.deadline_version + 1
    if deadline.due_at > now:
        fields.update(warned_at=None, escalated_at=None, escalate_again_at=None)
    return fields


def fresh_clock_fields(problem: Problem, *, now: dt.datetime) -> dict:
    """A new 10-working-day clock from `now`: dispatch (first time) and reopening."""
    deadline = deadline_from(now)
    return {
        "clock_started_at": now,
        "due_at": deadline.due_at,
        "warn_at": deadline.warn_at,
        "deadline_provisional": deadline.provisional,
        "deadline_version": problem.deadline_version + 1,
        "warned_at": None,
        "escalated_at": None,
        "escalate_again_at": None,
        "escalation_level": 0,
    }


# --- helpers ---------------------------------------------------------------------------


def lock_problem(problem_id: int, expected_version: int | None = None) -> Problem:
    """The problem, locked until the end of the transaction; StaleProblem if it moved on."""
    try:
        problem = Problem.objects.select_for_update().get(pk=problem_id)
    except Problem.DoesNotExist:
        raise NotAllowed(_("This problem does not exist.")) from None
    if expected_version is not None and problem.version != expected_version:
        raise StaleProblem(
            _(
                "This problem was changed by someone else while you were looking at it. "
                "The page now shows its current state; please check and try again."
            )
        )
    return problem


def _require(condition: bool, message) -> None:
    if not condition:
        raise NotAllowed(message)


def _require_status(problem: Problem, *statuses: str) -> None:
    if problem.status not in statuses:
        raise WrongState(
            _("This cannot be done while the problem is “%(status)s”.")
            % {"status": problem.get_status_display()}
        )


def _save(problem: Problem, *, fields: dict, from_status: str, now: dt.datetime) -> None:
    """Conditional UPDATE on (id, status, version): applies once, or not at all."""
    values = {**fields, "updated_at": now, "version": F("version") + 1}
    changed = Problem.objects.filter(
        pk=problem.pk, status=from_status, version=problem.version
    ).update(**values)
    if changed != 1:
        raise StaleProblem(
            _("This problem was changed by someone else meanwhile; nothing was done.")
        )
    for name, value in fields.items():
        setattr(problem, name, value)
    problem.updated_at = now
    problem.version += 1


def record_event(
    problem: Problem,
    *,
    actor,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    text: str = "",
    is_public: bool = True,
    data: dict | None = None,
    now: dt.datetime | None = None,
    dedupe_key: str = "",
) -> ProblemEvent:
    """Append `problem`'s timeline entry and write its notifications in the same transaction."""
    event = ProblemEvent.objects.create(
        dedupe_key=dedupe_key,
        problem=problem,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        text=text,
        is_public=is_public,
        data=data or {},
        created_at=now or timezone.now(),
    )
    notifications.event_recorded(event)
    return event


def _next_reference(year: int) -> str:
    """Next `YYYY-NNNNN` of the year; the counter row stays locked until commit, so no gaps."""
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{year:04d}-{counter.last_number:05d}"


def _clean_text(text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionError(message)
    return text


def _check_meeting_for_submit(actor, enterprise: Enterprise, meeting) -> None:
    """A problem is raised for a meeting its enterprise is invited to, before it is over.

    An enterprise submits only for a planned meeting; the office may also register
    problems raised at a meeting already held (their clock starts when dispatched).
    """
    from django.db.models import Exists, OuterRef

    from meetings.models import Invitation, Meeting

    # Read afresh: the form that offered the meeting may be older than its last change.
    status, invited = (
        Meeting.objects.filter(pk=meeting.pk)
        .annotate(
            invited=Exists(Invitation.objects.filter(meeting=OuterRef("pk"), enterprise=enterprise))
        )
        .values_list("status", "invited")
        .get()
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


def _meeting_waits(problem: Problem) -> bool:
    """Whether the problem's face-to-face meeting is still planned: its clock waits for it.

    The meeting row is locked, so that marking it held (which locks it first, then
    starts the clocks of its dispatched problems) cannot slip between this check and
    the dispatch: a problem is dispatched either before (its clock is started there)
    or after (its clock starts now).
    """
    if problem.meeting_id is None or problem.clock_started_at is not None:
        return False
    from meetings.models import Meeting

    status = (
        Meeting.objects.select_for_update()
        .filter(pk=problem.meeting_id)
        .values_list("status", flat=True)
        .get()
    )
    return status == Meeting.Status.PLANNED


# --- transitions -----------------------------------------------------------------------


def problem_submit(
    *,
    actor,
    enterprise: Enterprise,
    title: str,
    description: str,
    category: Category,
    channel: str = Channel.WEB,
    submission_key=None,
    meeting=None,
    now: dt.datetime | None = None,
) -> Problem:
    """An enterprise raises a problem, or the office registers one on its behalf.

    `submission_key` (from the form) makes a double-submitted form create one
    problem: the second attempt raises DuplicateSubmission naming the first.
    `meeting`: the face-to-face meeting the problem is raised for (DESIGN.md §6).
    """
    now = now or timezone.now()
    _require(
        permissions.can_submit_problem_for(actor, enterprise),
        _("You may not submit problems for this enterprise."),
    )
    if channel != Channel.WEB:
        _require(
            permissions.is_office(actor),
            _("Only the liaison office registers problems collected by visit, phone or meeting."),
        )
    _require(category.is_active, _("This category is no longer in use; choose another."))
    title = _clean_text(title, _("A problem needs a title."))
    description = _clean_text(description, _("A problem needs a description."))
    if meeting is not None:
        _check_meeting_for_submit(actor, enterprise, meeting)
    if submission_key is not None:
        # A form sent twice: the same key, or (the browser's Back button refills the form,
        # with a new key) the same title and text for the same enterprise within minutes.
        existing = (
            Problem.objects.filter(
                Q(submission_key=submission_key)
                | Q(
                    enterprise=enterprise,
                    title=title,
                    description=description,
                    created_at__gte=now - RESUBMIT_WINDOW,
                )
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            raise DuplicateSubmission(existing)
    try:
        with transaction.atomic():
            problem = Problem.objects.create(
                submission_key=submission_key,
                reference=_next_reference(timezone.localtime(now, workdays.SHANGHAI).year),
                enterprise=enterprise,
                submitted_by=actor,
                channel=channel,
                title=title,
                description=description,
                category=category,
                meeting=meeting,
                status=Status.SUBMITTED,
                created_at=now,
                updated_at=now,
                remind_at=remind_at_from(now),
            )
            record_event(
                problem,
                actor=actor,
                kind=EventKind.SUBMITTED,
                to_status=Status.SUBMITTED,
                text=description,
                data={"channel": channel, **({"meeting": meeting.pk} if meeting else {})},
                now=now,
            )
    except IntegrityError:
        # Two identical submissions at the same moment: the loser finds the winner.
        existing = submission_key and Problem.objects.filter(submission_key=submission_key).first()
        if existing:
            raise DuplicateSubmission(existing) from None
        raise
    return problem


def problem_dispatch(
    *,
    problem_id: int,
    actor,
    lead_department: Department,
    co_departments: Iterable[Department] = (),
    responsible_leader=None,
    expected_version: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Problem:
    """The office gives the problem to a lead department; the clock starts (or keeps running).

    A problem raised for a face-to-face meeting that is still planned is dispatched
    early, so the department can prepare its answer: its clock starts on the meeting's
    date when the meeting is marked held (meetings.services.meeting_mark_held).
    """
    now = now or timezone.now()
    co_departments = [d for d in co_departments if d.pk != lead_department.pk]
    _require(permissions.is_office(actor), _("Only the liaison office dispatches problems."))
    _require(lead_department.is_active, _("The lead department is not active."))
    _require(all(d.is_active for d in co_departments), _("A co-department is not active."))
    if responsible_leader is not None:
        _require(
            permissions.is_leader(responsible_leader),
            _("The responsible leader must be a district leader."),
        )
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require_status(problem, Status.SUBMITTED)
        fields: dict = {
            "status": Status.DISPATCHED,
            "lead_department": lead_department,
            "responsible_leader": responsible_leader,
            "handler": None,
            "remind_at": None,
        }
        if problem.clock_started_at is None and not _meeting_waits(problem):
            # First dispatch starts the clock; after a return it keeps running.
            fields.update(fresh_clock_fields(problem, now=now))
            fields["original_due_at"] = fields["due_at"]
        _save(problem, fields=fields, from_status=Status.SUBMITTED, now=now)
        problem.co_departments.set(co_departments)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.DISPATCHED,
            from_status=Status.SUBMITTED,
            to_status=Status.DISPATCHED,
            # The event is public (the enterprise sees where its problem went); the
            # office's note is for the department only, so it lives in `data`.
            data={
                "internal_note": note.strip(),
                "lead_department": lead_department.pk,
                "lead_department_name": lead_department.name,
                "co_departments": [d.pk for d in co_departments],
                "responsible_leader": getattr(responsible_leader, "pk", None),
                "due_at": problem.due_at.isoformat() if problem.due_at else None,
                "clock_waits_for_meeting": problem.due_at is None,
            },
            now=now,
        )
    return problem


def problem_reject(
    *,
    problem_id: int,
    actor,
    reason: str,
    duplicate_of: Problem | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """The office does not accept the problem (out of scope, or a duplicate of another)."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office rejects problems."))
    reason = _clean_text(reason, _("Give the enterprise a reason."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require_status(problem, Status.SUBMITTED)
        if duplicate_of is not None:
            _require(duplicate_of.pk != problem.pk, _("A problem cannot duplicate itself."))
        _save(
            problem,
            fields={
                "status": Status.REJECTED,
                "rejection_reason": reason,
                "duplicate_of": duplicate_of,
                "closed_at": now,
            },
            from_status=Status.SUBMITTED,
            now=now,
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.REJECTED,
            from_status=Status.SUBMITTED,
            to_status=Status.REJECTED,
            text=reason,
            data={"duplicate_of": getattr(duplicate_of, "reference", None)},
            now=now,
        )
    return problem


def problem_return(
    *,
    problem_id: int,
    actor,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """The lead department sends the problem back to the office; the clock keeps running."""
    now = now or timezone.now()
    reason = _clean_text(reason, _("Say why the problem is returned."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem),
            _("Only the lead department can return this problem."),
        )
        _require_status(problem, Status.DISPATCHED)
        department_id = problem.lead_department_id
        _save(
            problem,
            fields={
                "status": Status.SUBMITTED,
                "lead_department": None,
                "handler": None,
                "remind_at": remind_at_from(now),
                "reminded_at": None,
            },
            from_status=Status.DISPATCHED,
            now=now,
        )
        problem.co_departments.clear()
        record_event(
            problem,
            actor=actor,
            kind=EventKind.RETURNED,
            from_status=Status.DISPATCHED,
            to_status=Status.SUBMITTED,
            text=reason,
            is_public=False,
            data={"department": department_id},
            now=now,
        )
    return problem


def problem_acknowledge(
    *, problem_id: int, actor, expected_version: int | None = None, now=None
) -> Problem:
    """The lead department signs for the problem (签收)."""
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem),
            _("Only the lead department can acknowledge this problem."),
        )
        _require_status(problem, Status.DISPATCHED)
        # Dispatched early for a face-to-face meeting: handling starts with the clock.
        _require(
            problem.due_at is not None,
            _(
                "This problem is for a face-to-face meeting not yet held: it can be "
                "acknowledged once the meeting is held and its clock starts."
            ),
        )
        fields = {"status": Status.IN_PROGRESS}
        if problem.handler_id is None:
            fields["handler"] = actor
        _save(problem, fields=fields, from_status=Status.DISPATCHED, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.ACKNOWLEDGED,
            from_status=Status.DISPATCHED,
            to_status=Status.IN_PROGRESS,
            now=now,
        )
    return problem


def problem_add_progress(
    *,
    problem_id: int,
    actor,
    text: str,
    is_public: bool,
    expected_version: int | None = None,
    now=None,
) -> ProblemEvent:
    """The lead or a co-department records progress, for the enterprise or internal."""
    now = now or timezone.now()
    text = _clean_text(text, _("Write what has been done."))
    with transaction.atomic():
        problem = lock_problem(problem_id, None)
        _require(
            permissions.can_add_progress(actor, problem),
            _("Only the lead department and co-departments can add progress."),
        )
        _require_status(problem, Status.IN_PROGRESS)
        # Progress does not change the state, but bumps the version so that two
        # identical submissions (a double click) are recorded once.
        if expected_version is not None and problem.version != expected_version:
            raise StaleProblem(
                _("This problem changed meanwhile (perhaps the same note was just saved).")
            )
        _save(problem, fields={}, from_status=Status.IN_PROGRESS, now=now)
        return record_event(
            problem,
            actor=actor,
            kind=EventKind.PROGRESS,
            text=text,
            is_public=is_public,
            data={"department": permissions.department_id_of(actor)},
            now=now,
        )


def problem_request_extension(
    *,
    problem_id: int,
    actor,
    days: int,
    reason: str,
    expected_version: int | None = None,
    now=None,
) -> ExtensionRequest:
    """The lead department asks for 1-10 more working days."""
    now = now or timezone.now()
    reason = _clean_text(reason, _("Say why more time is needed."))
    if not 1 <= int(days) <= 10:
        raise TransitionError(_("An extension is 1 to 10 working days."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem),
            _("Only the lead department can ask for an extension."),
        )
        _require_status(problem, Status.IN_PROGRESS)
        if problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING).exists():
            raise WrongState(_("An extension request is already waiting for a decision."))
        request = ExtensionRequest.objects.create(
            problem=problem, requested_by=actor, days=days, reason=reason, requested_at=now
        )
        _save(problem, fields={}, from_status=Status.IN_PROGRESS, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.EXTENSION_REQUESTED,
            text=reason,
            is_public=False,
            data={"days": int(days), "extension": request.pk},
            now=now,
        )
    return request


def problem_decide_extension(
    *,
    extension_id: int,
    actor,
    approve: bool,
    note: str = "",
    now=None,
) -> ExtensionRequest:
    """The office or a district leader approves (the deadline moves) or denies a request."""
    now = now or timezone.now()
    _require(
        permissions.can_decide_extension(actor),
        _("Only the liaison office or a district leader decides extensions."),
    )
    problem_id = (
        ExtensionRequest.objects.filter(pk=extension_id)
        .values_list("problem_id", flat=True)
        .first()
    )
    if problem_id is None:
        raise NotAllowed(_("This extension request does not exist."))
    with transaction.atomic():
        # The problem first, then the request: every transition locks in that order
        # (resolve updates pending requests while holding the problem), so two of them
        # wait for each other instead of deadlocking.
        problem = lock_problem(problem_id, None)
        request = ExtensionRequest.objects.select_for_update().get(pk=extension_id)
        if request.decision != ExtensionRequest.Decision.PENDING:
            raise WrongState(_("This extension request has already been decided."))
        _require_status(problem, Status.IN_PROGRESS)
        decision = (
            ExtensionRequest.Decision.APPROVED if approve else ExtensionRequest.Decision.DENIED
        )
        ExtensionRequest.objects.filter(pk=request.pk, decision="pending").update(
            decision=decision, decided_by=actor, decided_at=now, decision_note=note.strip()
        )
        request.decision, request.decided_by, request.decided_at = decision, actor, now
        request.decision_note = note.strip()
        fields: dict = {}
        if approve:
            deadline = extended_deadline(problem.due_at, request.days)
            fields = deadline_moved_fields(problem, deadline, now=now)
        _save(problem, fields=fields, from_status=Status.IN_PROGRESS, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_DENIED,
            # An approval is public (the enterprise sees the new deadline), but the
            # decider's note is for the officials only.
            is_public=approve,
            data={
                "internal_note": note.strip(),
                "days": request.days,
                "extension": request.pk,
                "due_at": problem.due_at.isoformat(),
                "due_date": workdays.local_date(problem.due_at).isoformat(),
            },
            now=now,
        )
    return request


def problem_resolve(
    *,
    problem_id: int,
    actor,
    answer: str,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """The lead department answers the enterprise; the problem counts as concluded."""
    now = now or timezone.now()
    answer = _clean_text(answer, _("Write the answer to the enterprise."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem),
            _("Only the lead department can answer this problem."),
        )
        _require_status(problem, Status.IN_PROGRESS)
        _resolve_locked(problem, actor=actor, answer=answer, now=now)
    return problem


def _resolve_locked(problem: Problem, *, actor, answer: str, now: dt.datetime) -> None:
    """Answer a locked open problem: resolved, with its RESOLVED event (resolve, on site)."""
    from_status = problem.status
    fields = {
        "status": Status.RESOLVED,
        "answer": answer,
        "last_resolved_at": now,
        "autoclose_at": autoclose_at_from(now),
    }
    if problem.first_resolved_at is None:
        fields.update(first_resolved_at=now, first_resolved_due_at=problem.due_at)
    _save(problem, fields=fields, from_status=from_status, now=now)
    # A pending extension request is moot once the problem is answered.
    problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING).update(
        decision=ExtensionRequest.Decision.DENIED,
        decided_at=now,
        decision_note="answered before a decision",
    )
    record_event(
        problem,
        actor=actor,
        kind=EventKind.RESOLVED,
        from_status=from_status,
        to_status=Status.RESOLVED,
        text=answer,
        now=now,
    )


# --- face-to-face meetings (DESIGN.md §6) ----------------------------------------------

MEETING_HELD_DEDUPE_KEY = "meeting_held"
# A head told of more problems than this when a meeting is held gets one message.
MEETING_GROUP_ABOVE = 3


def problems_start_meeting_clock(*, meeting, actor, now: dt.datetime) -> list[int]:
    """Start the clock of every problem dispatched early for `meeting`, on its date.

    Called by meetings.services.meeting_mark_held inside its transaction, with the
    meeting row locked. Every such problem gets the same start (the meeting's time),
    hence the same deadline: one SELECT ... FOR UPDATE of the ids, one UPDATE, one
    INSERT of the MEETING_HELD timeline entries, whatever the number of problems.
    A problem whose clock already runs (dispatched after the meeting was held, or
    returned and dispatched again) is not touched. Returns the ids started.
    """
    waiting = Problem.objects.filter(
        meeting=meeting, status=Status.DISPATCHED, clock_started_at__isnull=True
    )
    claimed = list(
        waiting.select_for_update().order_by("pk").values_list("pk", "lead_department_id")
    )
    ids = [pk for pk, _department in claimed]
    if not ids:
        return []
    start = meeting.starts_at
    deadline = deadline_from(start)
    changed = waiting.filter(pk__in=ids).update(
        clock_started_at=start,
        due_at=deadline.due_at,
        original_due_at=deadline.due_at,
        warn_at=deadline.warn_at,
        deadline_provisional=deadline.provisional,
        deadline_version=F("deadline_version") + 1,
        warned_at=None,
        escalated_at=None,
        escalate_again_at=None,
        escalation_level=0,
        updated_at=now,
        version=F("version") + 1,
    )
    if changed != len(ids):
        raise ClaimLost(f"meeting clock: {changed} of {len(ids)} claimed problems changed")
    data = {
        "meeting": meeting.pk,
        "clock_started_at": start.isoformat(),
        "due_at": deadline.due_at.isoformat(),
        "due_date": workdays.local_date(deadline.due_at).isoformat(),
    }
    events = record_events_once(
        [
            ProblemEvent(
                problem_id=problem_id,
                actor=actor,
                kind=EventKind.MEETING_HELD,
                text=str(meeting),
                is_public=True,
                data=data,
                dedupe_key=MEETING_HELD_DEDUPE_KEY,
                created_at=now,
            )
            for problem_id in ids
        ]
    )
    if not notifications.is_suppressed():
        # The lead departments' heads learn that the clock runs and until when: one
        # query for them, one write of the outbox (a head with many problems gets one
        # message listing them).
        heads: dict[int, list[int]] = {}
        for user_id, department_id in (
            get_user_model()
            .objects.filter(
                is_active=True,
                profile__role=Role.DEPARTMENT_HEAD,
                profile__department_id__in={d for _pk, d in claimed},
            )
            .values_list("pk", "profile__department_id")
        ):
            heads.setdefault(department_id, []).append(user_id)
        department_of = dict(claimed)
        notifications.write_for_events(
            [(event, heads.get(department_of[event.problem_id], [])) for event in events],
            group_above=MEETING_GROUP_ABOVE,
        )
        for event in events:
            transaction.on_commit(lambda pk=event.pk: notifications.event_committed(pk))
    return ids


def problem_answer_on_site(
    *,
    problem_id: int,
    actor,
    answer: str,
    resolve: bool = False,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """An answer given at the face-to-face meeting: a public timeline entry.

    With `resolve` the problem was fully answered there: it is concluded on the spot
    (answered, awaiting the enterprise's evaluation), from dispatched or in progress.
    The liaison office, which keeps the meeting's record, or the lead department may
    record it, once the meeting is marked held.
    """
    from meetings.models import Meeting

    now = now or timezone.now()
    answer = _clean_text(answer, _("Write the answer given at the meeting."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_answer_on_site(actor, problem),
            _(
                "Only the liaison office and the lead department record answers given "
                "at the meeting."
            ),
        )
        _require_status(problem, *OPEN_STATUSES)
        meeting_status = (
            Meeting.objects.filter(pk=problem.meeting_id).values_list("status", flat=True).first()
        )
        _require(
            meeting_status == Meeting.Status.HELD,
            _("Answers given at a meeting are recorded once the meeting is marked held."),
        )
        if not resolve:
            _save(problem, fields={}, from_status=problem.status, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.ANSWERED_ON_SITE,
            text=answer,
            data={"meeting": problem.meeting_id, "resolved": bool(resolve)},
            now=now,
        )
        if resolve:
            _resolve_locked(problem, actor=actor, answer=answer, now=now)
    return problem


def problem_evaluate(
    *,
    problem_id: int,
    actor,
    satisfaction: str,
    reason: str = "",
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """The enterprise evaluates the answer: satisfied closes; unsatisfied reopens (重办)."""
    if satisfaction == Satisfaction.UNSATISFIED:
        return problem_reopen(
            problem_id=problem_id,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
            now=now,
        )
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
        raise TransitionError(_("Choose satisfied, basically satisfied or unsatisfied."))
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_evaluate(actor, problem),
            _("Only the enterprise that raised the problem can evaluate it."),
        )
        _require_status(problem, Status.RESOLVED)
        _save(
            problem,
            fields={
                "status": Status.CLOSED,
                "satisfaction": satisfaction,
                "closed_at": now,
                "autoclose_at": None,
            },
            from_status=Status.RESOLVED,
            now=now,
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.EVALUATED,
            from_status=Status.RESOLVED,
            to_status=Status.CLOSED,
            text=reason.strip(),
            data={"satisfaction": satisfaction},
            now=now,
        )
    return problem


def problem_reopen(
    *,
    problem_id: int,
    actor,
    reason: str,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """Unsatisfied: back to the lead department with a fresh 10-working-day clock."""
    now = now or timezone.now()
    reason = _clean_text(reason, _("Say why you are not satisfied, so the department can act."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_evaluate(actor, problem),
            _("Only the enterprise that raised the problem can evaluate it."),
        )
        _require_status(problem, Status.RESOLVED)
        _save(
            problem,
            fields={
                "status": Status.IN_PROGRESS,
                "satisfaction": Satisfaction.UNSATISFIED,
                "reopen_count": problem.reopen_count + 1,
                "autoclose_at": None,
                **fresh_clock_fields(problem, now=now),
            },
            from_status=Status.RESOLVED,
            now=now,
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.REOPENED,
            from_status=Status.RESOLVED,
            to_status=Status.IN_PROGRESS,
            text=reason,
            data={
                "satisfaction": Satisfaction.UNSATISFIED,
                "due_at": problem.due_at.isoformat(),
                "due_date": workdays.local_date(problem.due_at).isoformat(),
            },
            now=now,
        )
    return problem


def problem_auto_close(*, problem_id: int, now=None) -> Problem | None:
    """Close one answered problem without evaluation (e.g. by hand from a shell).

    The deadline sweep uses the set-based `problems_auto_close`; both record the event
    under the same dedupe key, so a problem is never auto-closed twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, None)
        if problem.status != Status.RESOLVED:
            return None
        _save(
            problem,
            fields={
                "status": Status.CLOSED,
                "satisfaction": Satisfaction.NOT_EVALUATED,
                "closed_at": now,
                "autoclose_at": None,
            },
            from_status=Status.RESOLVED,
            now=now,
        )
        record_event(
            problem,
            actor=None,
            kind=EventKind.AUTO_CLOSED,
            from_status=Status.RESOLVED,
            to_status=Status.CLOSED,
            data={"satisfaction": Satisfaction.NOT_EVALUATED},
            now=now,
            dedupe_key=AUTO_CLOSE_DEDUPE_KEY,
        )
    return problem


class ClaimLost(Exception):
    """A set-based UPDATE changed fewer rows than were claimed; the caller rolls back."""


def record_events_once(events: list[ProblemEvent]) -> list[ProblemEvent]:
    """Insert timeline events that carry a dedupe_key, in one statement; skip those recorded.

    INSERT ... SELECT over a JSON array ... ON CONFLICT DO NOTHING RETURNING: one query
    whatever the number of events (bulk_create would split it into batches on SQLite),
    and the unique (problem, dedupe_key) constraint is the backstop behind the caller's
    claims: an event already recorded, by an earlier run or a concurrent one, is not
    written again, and is not returned, so nobody is notified twice. Returns the events
    inserted, with their ids.
    """
    if not events:
        return []
    if any(not event.dedupe_key for event in events):
        raise ValueError("record_events_once needs a dedupe_key on every event")
    ops = connection.ops
    table = ops.quote_name(ProblemEvent._meta.db_table)
    columns = (
        "problem_id",
        "actor_id",
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "text",
        "is_public",
        "data",
        "dedupe_key",
    )
    payload = json.dumps(
        [
            [
                e.problem_id,
                e.actor_id,
                str(ops.adapt_datetimefield_value(e.created_at)),
                e.kind,
                e.from_status,
                e.to_status,
                e.text,
                e.is_public,
                e.data or {},
                e.dedupe_key,
            ]
            for e in events
        ],
        cls=DjangoJSONEncoder,
    )
    if connection.vendor == "postgresql":
        casts = ("bigint", "integer", "timestamptz", *["text"] * 4, "boolean", None, "text")
        values = ", ".join(
            f"(v->{i})::jsonb" if cast is None else f"(v->>{i})::{cast}"
            for i, cast in enumerate(casts)
        )
        source = "json_array_elements(%s::json) AS r(v)"
    else:
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        source = "json_each(%s)"
    column_list = ", ".join(ops.quote_name(c) for c in columns)
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    sql = (
        f"INSERT INTO {table} ({column_list}) SELECT {values} FROM {source} "
        "WHERE true ON CONFLICT DO NOTHING RETURNING id, problem_id, dedupe_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        inserted = {(problem_id, key): pk for pk, problem_id, key in cursor.fetchall()}
    recorded = []
    for event in events:
        pk = inserted.get((event.problem_id, event.dedupe_key))
        if pk is not None:
            event.pk = event.id = pk
            event._state.adding, event._state.db = False, connection.alias
            recorded.append(event)
    return recorded


AUTO_CLOSE_DEDUPE_KEY = "autoclose"


def problems_auto_close(problem_ids: list[int], *, now: dt.datetime) -> list[ProblemEvent]:
    """Close, in one UPDATE, answered problems whose evaluation time ran out.

    Set-based twin of `problem_auto_close`, called by the deadline sweep inside its
    transaction with the ids it claimed (locked): the UPDATE repeats the condition, so a
    problem evaluated meanwhile is not touched. Returns the AUTO_CLOSED events written.
    """
    if not problem_ids:
        return []
    changed = Problem.objects.filter(
        pk__in=problem_ids, status=Status.RESOLVED, autoclose_at__lt=now
    ).update(
        status=Status.CLOSED,
        satisfaction=Satisfaction.NOT_EVALUATED,
        closed_at=now,
        autoclose_at=None,
        updated_at=now,
        version=F("version") + 1,
    )
    if changed != len(problem_ids):
        raise ClaimLost(f"auto-close: {changed} of {len(problem_ids)} claimed problems changed")
    return record_events_once(
        [
            ProblemEvent(
                problem_id=problem_id,
                actor=None,
                kind=EventKind.AUTO_CLOSED,
                from_status=Status.RESOLVED,
                to_status=Status.CLOSED,
                is_public=True,
                data={"satisfaction": Satisfaction.NOT_EVALUATED},
                dedupe_key=AUTO_CLOSE_DEDUPE_KEY,
                created_at=now,
            )
            for problem_id in problem_ids
        ]
    )


def problem_instruct(
    *, problem_id: int, actor, text: str, expected_version: int | None = None, now=None
) -> ProblemEvent:
    """A district leader's instruction (批示), visible to the departments, not the enterprise."""
    now = now or timezone.now()
    text = _clean_text(text, _("Write the instruction."))
    _require(permissions.is_leader(actor), _("Only district leaders give instructions."))
    with transaction.atomic():
        problem = lock_problem(problem_id, None)
        _require_status(problem, Status.SUBMITTED, *OPEN_STATUSES, Status.RESOLVED)
        if expected_version is not None and problem.version != expected_version:
            raise StaleProblem(
                _("This problem changed meanwhile (perhaps the same instruction was just saved).")
            )
        _save(problem, fields={}, from_status=problem.status, now=now)
        return record_event(
            problem,
            actor=actor,
            kind=EventKind.INSTRUCTED,
            text=text,
            is_public=False,
            now=now,
        )


def problem_assign_handler(
    *, problem_id: int, actor, handler, expected_version: int | None = None, now=None
) -> Problem:
    """The lead department's head names who in the department handles the problem."""
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_assign_handler(actor, problem),
            _("Only the head of the lead department assigns a handler."),
        )
        _require_status(problem, *OPEN_STATUSES)
        profile = getattr(handler, "profile", None)
        _require(
            profile is not None
            and profile.role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD)
            and profile.department_id == problem.lead_department_id
            and handler.is_active,
            _("The handler must be an active member of the lead department."),
        )
        _save(problem, fields={"handler": handler}, from_status=problem.status, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.HANDLER_ASSIGNED,
            text=handler.get_full_name() or handler.get_username(),
            is_public=False,
            data={"handler": handler.pk},
            now=now,
        )
    return problem
