"""A problem comes in: submitted, dispatched, not accepted, returned to the office."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays
from liaison.models import Department, Enterprise

from .. import extensions
from ..clock import fresh_clock_fields, kept_revision, remind_at_from
from ..models import (
    DEFAULT_APPEAL_TYPE,
    AppealType,
    Category,
    Channel,
    EventKind,
    Problem,
    Status,
)
from .base import (
    RESUBMIT_RECENT,
    RESUBMIT_WINDOW,
    DuplicateSubmission,
    _clean_text,
    _next_reference,
    _require,
    _require_status,
    _save,
    lock_problem,
    record_event,
)
from .merging import require_not_merged

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
    external_reference: str = "",
    reference: str | None = None,
    appeal_type: str = "",
    now: dt.datetime | None = None,
) -> Problem:
    """An enterprise raises a problem, or the office registers one on its behalf.

    `submission_key` (from the form) makes a double-submitted form create one
    problem: the second attempt raises DuplicateSubmission naming the first (always one
    of this enterprise's problems).
    `meeting`: the face-to-face meeting the problem is raised for (DESIGN.md §6).
    `external_reference`: another system's number for it (the API): the same number
    from the same submitter again raises DuplicateSubmission naming the first problem.
    `reference`: a past problem's own number, kept when a past year is imported (the
    importer first moves the year's counter past every number in its file).
    `appeal_type`: the type the submitter suggests (blank: none); the problem keeps it
    (else DEFAULT_APPEAL_TYPE) until the office chooses at dispatch.
    """
    now = now or timezone.now()
    _check_appeal_type(appeal_type, blank=True)
    # An official may raise a problem found at a visit on the enterprise's behalf (service).
    from_visit = channel == Channel.VISIT and extensions.may_register_visit_problem(
        actor, enterprise
    )
    _require(
        from_visit or permissions.can_submit_problem_for(actor, enterprise),
        _("You may not submit problems for this enterprise."),
    )
    if channel != Channel.WEB:
        _require(
            from_visit or permissions.is_office(actor),
            _("Only the liaison office registers problems collected by visit, phone or meeting."),
        )
    _require(category.is_active, _("This category is no longer in use; choose another."))
    title = _clean_text(title, _("A problem needs a title."))
    description = _clean_text(description, _("A problem needs a description."))
    if meeting is not None:
        extensions.meetings().check_submit(actor, enterprise, meeting)
    with transaction.atomic():
        # One enterprise's submissions take turns (a lock on its row, which leaves the
        # other writes referring to it alone): a copy of the form sent at the same moment
        # waits for this one to commit, so the duplicate check below sees it.
        list(Enterprise.objects.select_for_update(no_key=True).filter(pk=enterprise.pk))
        if external_reference:
            earlier = Problem.objects.filter(
                submitted_by=actor, external_reference=external_reference
            ).first()
            if earlier is not None:
                raise DuplicateSubmission(earlier)
        if submission_key is not None:
            earlier = _earlier_submissions(
                enterprise=enterprise,
                title=title,
                description=description,
                submission_key=submission_key,
                now=now,
            )
            for problem in earlier:
                if (problem.title, problem.description) == (title, description):
                    raise DuplicateSubmission(problem)
            if any(problem.submission_key == submission_key for problem in earlier):
                # The same form key with other text (the Back button, then an edit): a
                # new problem, saved without the key its other problem holds.
                submission_key = None
        revision = workdays.revision()
        problem = Problem.objects.create(
            submission_key=submission_key,
            reference=reference or _next_reference(timezone.localtime(now, workdays.SHANGHAI).year),
            enterprise=enterprise,
            submitted_by=actor,
            channel=channel,
            external_reference=external_reference,
            title=title,
            description=description,
            category=category,
            appeal_type=appeal_type or DEFAULT_APPEAL_TYPE,
            suggested_appeal_type=appeal_type,
            meeting=meeting,
            status=Status.SUBMITTED,
            created_at=now,
            updated_at=now,
            remind_at=remind_at_from(now),
            calendar_revision=revision,
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
    return problem


def _earlier_submissions(
    *, enterprise: Enterprise, title: str, description: str, submission_key, now: dt.datetime
) -> list[Problem]:
    """The enterprise's problems an earlier post of this form may have made, newest first.

    The same key: the form sent twice. The same title and text within minutes: the
    browser's Back button refilled the form, with a new key; only the enterprise's
    RESUBMIT_RECENT latest problems are compared, so that the check reads a few rows
    however many problems the enterprise sent lately (one that sends hundreds an hour,
    through a script, made it read them all at each submission). Only this enterprise's:
    another enterprise's problem is never taken for this one, nor shown for it.
    """
    # What the check compares and the duplicate's page needs: its reference.
    mine = Problem.objects.filter(enterprise=enterprise).only(
        "reference", "title", "description", "submission_key", "created_at"
    )
    recent = (
        mine.filter(created_at__gte=now - RESUBMIT_WINDOW)
        .order_by("-created_at")
        .values("pk")[:RESUBMIT_RECENT]
    )
    same_key = mine.filter(submission_key=submission_key)
    same_text = mine.filter(pk__in=recent, title=title, description=description)
    # (Without the model's ordering: SQLite orders no part of a UNION.)
    found = same_key.order_by().union(same_text.order_by(), all=True)
    # One query (the two parts each read by an index); a problem in both parts once.
    return sorted(
        {problem.pk: problem for problem in found}.values(),
        key=lambda problem: (problem.created_at, problem.pk),
        reverse=True,
    )


def problem_dispatch(
    *,
    problem_id: int,
    actor,
    lead_department: Department,
    co_departments: Iterable[Department] = (),
    responsible_leader=None,
    expected_version: int | None = None,
    note: str = "",
    appeal_type: str = "",
    now: dt.datetime | None = None,
) -> Problem:
    """The office gives the problem to a lead department; the clock starts (or keeps running).

    `appeal_type`: the office's choice (blank: keep the problem's, the suggestion).

    A problem raised for a face-to-face meeting that is still planned is dispatched
    early, so the department can prepare its answer: its clock starts on the meeting's
    date when the meeting is marked held (meetings.services.meeting_mark_held). One
    raised at a meeting already held starts its clock on the meeting's date.
    """
    now = now or timezone.now()
    co_departments = [d for d in co_departments if d.pk != lead_department.pk]
    _require(permissions.is_office(actor), _("Only the liaison office dispatches problems."))
    _check_appeal_type(appeal_type, blank=True)
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
            "appeal_type": appeal_type or problem.appeal_type,
        }
        waits, start = extensions.meetings().clock(problem, now)
        if problem.clock_started_at is None and not waits:
            # First dispatch starts the clock; after a return it keeps running.
            fields.update(fresh_clock_fields(problem, now=start))
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
                "appeal_type": problem.appeal_type,
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
        require_not_merged(problem)
        department_id = problem.lead_department_id
        revision = workdays.revision()
        _save(
            problem,
            fields={
                "status": Status.SUBMITTED,
                "lead_department": None,
                "handler": None,
                "remind_at": remind_at_from(now),
                "reminded_at": None,
                "calendar_revision": kept_revision(problem, revision),
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


def problem_set_appeal_type(
    *,
    problem_id: int,
    actor,
    appeal_type: str,
    expected_version: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Problem:
    """The office changes an accepted (or rejected) problem's appeal type (诉求类型).

    Not a transition: the status stays; an internal timeline event says who changed it
    from what to what. The same type again changes nothing and records nothing.
    """
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office sets the appeal type."))
    _check_appeal_type(appeal_type, blank=False)
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        # A submitted problem gets its type with its dispatch (the triage form).
        _require(
            problem.status != Status.SUBMITTED,
            _("Choose the appeal type when dispatching the problem."),
        )
        previous = problem.appeal_type
        if previous == appeal_type:
            return problem
        _save(
            problem,
            fields={"appeal_type": appeal_type},
            from_status=problem.status,
            now=now,
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.APPEAL_TYPE_CHANGED,
            text=note.strip(),
            is_public=False,
            data={"from": previous, "to": appeal_type},
            now=now,
        )
    return problem


def _check_appeal_type(appeal_type: str, *, blank: bool) -> None:
    _require(
        appeal_type in AppealType.values or (blank and appeal_type == ""),
        _(
            "Unknown appeal type: choose consultation, request for a solution, "
            "suggestion or complaint."
        ),
    )
