"""The lead department handles the problem: acknowledges, reports progress, asks for
more time, answers; leaders instruct and assign."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays
from liaison.locking import check_version
from liaison.models import Role

from ..clock import autoclose_at_from, deadline_moved_fields, extended_deadline, kept_revision
from ..models import (
    OPEN_STATUSES,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Status,
)
from .base import (
    NotAllowed,
    StaleProblem,
    TransitionError,
    WrongState,
    _clean_text,
    _require,
    _require_status,
    _save,
    lock_problem,
    record_event,
)
from .merging import follow_resolved, require_not_merged
from .relief import OutcomeLine, check_lines, replace_lines


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
        require_not_merged(problem)
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
        require_not_merged(problem)
        # Progress does not change the state, but bumps the version so that two
        # identical submissions (a double click) are recorded once.
        check_version(
            problem,
            expected_version,
            StaleProblem(
                _("This problem changed meanwhile (perhaps the same note was just saved).")
            ),
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
        require_not_merged(problem)
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
        require_not_merged(problem)
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
    outcomes: Sequence[OutcomeLine] | None = None,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """The lead department answers the enterprise; the problem counts as concluded.

    `outcomes`: its burden relief (减负) lines, replacing any recorded with an earlier
    answer; None leaves those as they are.
    """
    now = now or timezone.now()
    answer = _clean_text(answer, _("Write the answer to the enterprise."))
    lines = check_lines(outcomes) if outcomes is not None else None
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem),
            _("Only the lead department can answer this problem."),
        )
        _require_status(problem, Status.IN_PROGRESS)
        require_not_merged(problem)
        _resolve_locked(problem, actor=actor, answer=answer, now=now)
        if lines is not None:
            replace_lines(problem, lines, actor=actor, now=now)
    return problem


def _resolve_locked(
    problem: Problem,
    *,
    actor,
    answer: str,
    now: dt.datetime,
    answered_at: dt.datetime | None = None,
) -> None:
    """Answer a locked open problem: resolved, with its RESOLVED event (resolve, on site).

    `answered_at`: when the answer was given, if before it is recorded (at a meeting);
    the enterprise's time to evaluate runs from now, when it is told.
    """
    answered_at = answered_at or now
    require_not_merged(problem)
    from_status = problem.status
    revision = workdays.revision()
    fields = {
        "status": Status.RESOLVED,
        "answer": answer,
        "last_resolved_at": answered_at,
        "autoclose_at": autoclose_at_from(now),
        "calendar_revision": kept_revision(problem, revision),
    }
    if problem.first_resolved_at is None:
        fields.update(first_resolved_at=answered_at, first_resolved_due_at=problem.due_at)
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
    # The problems of other enterprises merged into this one are answered with it.
    follow_resolved(problem, actor=actor, now=now)


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
        check_version(
            problem,
            expected_version,
            StaleProblem(
                _("This problem changed meanwhile (perhaps the same instruction was just saved).")
            ),
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
        require_not_merged(problem)
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
