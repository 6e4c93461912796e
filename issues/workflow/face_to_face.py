"""Problems raised for a face-to-face meeting (DESIGN.md §6): their clocks start when it
is held, answers given there."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays
from liaison.models import Department, Role

from .. import extensions, notifications
from ..clock import deadline_from
from ..models import (
    OPEN_STATUSES,
    EventKind,
    Problem,
    ProblemEvent,
    Status,
)
from .base import (
    ClaimLost,
    _clean_text,
    _require,
    _require_status,
    _save,
    lock_problem,
    record_event,
    record_events_once,
)
from .handling import _resolve_locked
from .intake import problem_dispatch

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
        calendar_revision=deadline.calendar_revision,
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
    lead_department: Department | None = None,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """An answer given at the face-to-face meeting: a public timeline entry.

    With `resolve` the problem was fully answered there: it is concluded on the spot
    (answered, awaiting the enterprise's evaluation), from dispatched or in progress,
    and counts as answered at the meeting's time (its clock started then too). The
    liaison office, which keeps the meeting's record, or the lead department may
    record it, once the meeting is marked held.

    A problem registered after the meeting is still `submitted`: the office names the
    `lead_department` that answered, and the problem is dispatched and answered in
    this one transaction, so the deadline sweep never sees it open with a deadline
    already past (a meeting entered afterwards). Concluded on the spot, its dispatch
    tells nobody: the department has nothing left to do, the enterprise is told of
    the answer.
    """
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
        held_start = extensions.meetings().held_start(problem.meeting_id)
        _require(
            held_start is not None,
            _("Answers given at a meeting are recorded once the meeting is marked held."),
        )
        if problem.status == Status.SUBMITTED:
            _require(
                lead_department is not None,
                _("Choose the department that answered at the meeting."),
            )
            with notifications.suppressed() if resolve else contextlib.nullcontext():
                problem = problem_dispatch(
                    problem_id=problem.pk,
                    actor=actor,
                    lead_department=lead_department,
                    expected_version=problem.version,
                    now=now,
                )
        _require_status(problem, *OPEN_STATUSES)
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
            # Answered when the meeting took place, however late it is recorded.
            started = problem.clock_started_at or held_start
            answered_at = min(max(held_start, started), now)
            _resolve_locked(problem, actor=actor, answer=answer, now=now, answered_at=answered_at)
    return problem
