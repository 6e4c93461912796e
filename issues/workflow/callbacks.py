"""Call-backs (回访): the office calls the enterprise and records its evaluation for it.

- On a problem answered and awaiting evaluation (`resolved`, no call-back waiting for
  review), a reached call-back is the enterprise's evaluation, given by telephone:
  satisfied / basically satisfied closes the problem as the enterprise's own evaluation
  would (event EVALUATED_BY_CALLBACK, public, "回访评价"); unsatisfied keeps it answered,
  stops its auto-close and puts the call-back in the office's review. A call-back that
  did not reach anyone is kept and changes nothing else.
- On a problem already evaluated (by the enterprise, by an earlier call-back, or closed
  without evaluation), a call-back can only be a *check* (the queue's sample): what was
  said is kept, the problem and its evaluation are not changed. Recording an evaluation
  on it is refused with a message.
- The review of an unsatisfied call-back: reopen (重办, resolved → in_progress with a new
  10-working-day clock, as the enterprise's own "unsatisfied" does) or close with a
  reason (resolved → closed, the satisfaction stays "unsatisfied"; the reason is an
  internal event, seen by officials and leaders, not by the enterprise).

Every call-back bumps the problem's version: a form sent twice, or from a stale page,
is refused like any other transition.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions

from ..models import (
    NOTE_MAX_LENGTH,
    CallBack,
    EvaluationSource,
    EventKind,
    Problem,
    Satisfaction,
    Status,
)
from .base import (
    NotAllowed,
    TransitionError,
    _clean_text,
    _require,
    _require_status,
    _save,
    lock_problem,
    record_event,
)
from .closing import reopen_unsatisfied

# Clocks differ a little between a caller's phone and the server.
CLOCK_SKEW = dt.timedelta(minutes=5)


def awaiting_evaluation(problem: Problem, pending_review: bool) -> bool:
    """Whether a call-back may record `problem`'s evaluation (answered, not yet evaluated)."""
    return problem.status == Status.RESOLVED and not pending_review


def _check_text(said: str) -> str:
    said = (said or "").strip()
    if len(said) > NOTE_MAX_LENGTH:
        raise TransitionError(_("Write at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH})
    return said


def _check_called_at(
    problem: Problem, called_at: dt.datetime | None, now: dt.datetime
) -> dt.datetime:
    """The call's time, checked. The form gives minutes: a call in the minute of the answer
    (the office rang at once) counts as made when the answer was sent, not before it."""
    if called_at is None:
        raise TransitionError(_("Say when the call was made."))
    if called_at > now + CLOCK_SKEW:
        raise TransitionError(_("The call cannot be in the future."))
    answered = problem.first_resolved_at
    if answered is None or called_at < answered.replace(second=0, microsecond=0):
        raise TransitionError(_("The call cannot be before the problem was answered."))
    return max(called_at, answered)


def callback_record(
    *,
    problem_id: int,
    actor,
    outcome: str,
    satisfaction: str = "",
    said: str = "",
    called_at: dt.datetime | None = None,
    check: bool = False,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CallBack:
    """Record the office's call-back on a problem; see the module docstring for the rules.

    `check`: the caller knows the problem was evaluated and calls to check (the sample).
    Without it, a call-back on an evaluated problem is refused and nothing changes.
    """
    now = now or timezone.now()
    called_at = called_at or now
    _require(permissions.is_office(actor), _("Only the liaison office records call-backs."))
    if outcome not in CallBack.Outcome.values:
        raise TransitionError(_("Say whether the enterprise was reached."))
    said = _check_text(said)
    if outcome == CallBack.Outcome.NOT_REACHED:
        satisfaction = ""
    elif satisfaction not in (
        Satisfaction.SATISFIED,
        Satisfaction.BASICALLY,
        Satisfaction.UNSATISFIED,
    ):
        raise TransitionError(_("Choose satisfied, basically satisfied or unsatisfied."))
    if satisfaction == Satisfaction.UNSATISFIED and not check:
        said = _clean_text(said, _("Write what the enterprise said it is not satisfied with."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        pending = problem.callbacks.filter(review=CallBack.Review.PENDING).exists()
        evaluating = awaiting_evaluation(problem, pending)
        if problem.status not in (Status.RESOLVED, Status.CLOSED):
            raise TransitionError(_("Only answered problems get a call-back."))
        if not evaluating and not check:
            raise TransitionError(
                _(
                    "This problem was already evaluated (%(how)s); a call-back cannot "
                    "change its evaluation. Record it as a check instead."
                )
                % {"how": problem.get_evaluation_source_display() or problem.get_status_display()}
            )
        if evaluating and check:
            raise TransitionError(
                _("This problem has not been evaluated yet: record the enterprise's evaluation.")
            )
        called_at = _check_called_at(problem, called_at, now)
        callback = CallBack(
            problem=problem,
            called_by=actor,
            called_at=called_at,
            recorded_at=now,
            outcome=outcome,
            satisfaction=satisfaction,
            said=said,
            is_check=check,
        )
        if check or outcome == CallBack.Outcome.NOT_REACHED:
            # Nothing about the problem changes; the version moves so the form applies once.
            _save(problem, fields={}, from_status=problem.status, now=now)
        elif satisfaction == Satisfaction.UNSATISFIED:
            callback.review = CallBack.Review.PENDING
            _save(
                problem,
                fields={
                    "satisfaction": Satisfaction.UNSATISFIED,
                    "evaluation_source": EvaluationSource.CALLBACK,
                    # Waits for the office's review instead of closing by itself.
                    "autoclose_at": None,
                },
                from_status=Status.RESOLVED,
                now=now,
            )
            _record_evaluation(problem, actor, satisfaction, said, Status.RESOLVED, now)
        else:
            _save(
                problem,
                fields={
                    "status": Status.CLOSED,
                    "satisfaction": satisfaction,
                    "evaluation_source": EvaluationSource.CALLBACK,
                    "closed_at": now,
                    "autoclose_at": None,
                },
                from_status=Status.RESOLVED,
                now=now,
            )
            _record_evaluation(problem, actor, satisfaction, said, Status.CLOSED, now)
        callback.save()
    return callback


def _record_evaluation(problem, actor, satisfaction, said, to_status, now) -> None:
    record_event(
        problem,
        actor=actor,
        kind=EventKind.EVALUATED_BY_CALLBACK,
        from_status=Status.RESOLVED,
        to_status=to_status,
        text=said,
        data={"satisfaction": satisfaction},
        now=now,
    )


REVIEW_REOPEN = "reopen"
REVIEW_CLOSE = "close"


def callback_review(
    *,
    callback_id: int,
    actor,
    decision: str,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CallBack:
    """The office's review of an unsatisfied call-back: reopen the problem, or close it."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office reviews call-backs."))
    if decision not in (REVIEW_REOPEN, REVIEW_CLOSE):
        raise TransitionError(_("Choose to reopen the problem or to close it."))
    reason = _clean_text(reason, _("Write the reason for your decision."))
    if len(reason) > NOTE_MAX_LENGTH:
        raise TransitionError(_("Write at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH})
    problem_id = (
        CallBack.objects.filter(pk=callback_id).values_list("problem_id", flat=True).first()
    )
    if problem_id is None:
        raise NotAllowed(_("This call-back does not exist."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        callback = CallBack.objects.select_for_update().get(pk=callback_id)
        if callback.review != CallBack.Review.PENDING:
            raise TransitionError(_("This call-back was already reviewed; nothing was done."))
        _require_status(problem, Status.RESOLVED)
        if decision == REVIEW_REOPEN:
            reopen_unsatisfied(
                problem, actor=actor, reason=reason, now=now, data={"callback": callback.pk}
            )
            callback.review = CallBack.Review.REOPENED
        else:
            _save(
                problem,
                fields={"status": Status.CLOSED, "closed_at": now, "autoclose_at": None},
                from_status=Status.RESOLVED,
                now=now,
            )
            record_event(
                problem,
                actor=actor,
                kind=EventKind.CALLBACK_CLOSED,
                from_status=Status.RESOLVED,
                to_status=Status.CLOSED,
                text=reason,
                # The office's reason is for officials and leaders, not the enterprise.
                is_public=False,
                data={"callback": callback.pk},
                now=now,
            )
            callback.review = CallBack.Review.CLOSED
        callback.reviewed_by = actor
        callback.reviewed_at = now
        callback.review_reason = reason
        callback.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_reason"])
    return callback
