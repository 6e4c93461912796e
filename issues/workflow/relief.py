"""Burden relief (减负): the outcome lines recorded with an answer, and edited after it.

Not a transition: the status does not change. The lines are written with the answer
(problem_resolve) or replaced later by the lead department or the office until the
problem is closed (relief_outcomes_set, an internal timeline event). Either way the
whole set is replaced, under the problem's lock and version, so a stale page or a double
click cannot leave half of one edit and half of another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays

from ..models import EventKind, Problem, ReliefKind, ReliefOutcome, Status
from ..relief.models import MAX_AMOUNT, MAX_FIRMS, MAX_JOBS, MAX_LINES, NOTE_MAX_LENGTH
from .base import TransitionError, _require, _save, lock_problem, record_event

AMOUNT_NEGATIVE = _("An amount cannot be negative.")
AMOUNT_ABSURD = _(
    "More than 100,000,000,000 yuan (1000 亿元) on one line is surely a typing mistake: "
    "check the number of digits."
)


@dataclass(frozen=True)
class OutcomeLine:
    """One outcome as a form or the API gives it: kind, yuan, firms and jobs affected."""

    kind: str
    amount: Decimal
    firms: int = 0
    jobs: int = 0
    note: str = ""


def check_lines(lines: Sequence[OutcomeLine]) -> list[OutcomeLine]:
    """The lines, checked and normalised; TransitionError saying what is wrong, if anything."""
    if len(lines) > MAX_LINES:
        raise TransitionError(_("At most %(max)d outcome lines per problem.") % {"max": MAX_LINES})
    checked = []
    for line in lines:
        if line.kind not in ReliefKind.values:
            raise TransitionError(_("Choose a kind of outcome from the list."))
        try:
            amount = Decimal(line.amount)
        except (InvalidOperation, TypeError, ValueError):
            raise TransitionError(_("Enter the amount in yuan as a number.")) from None
        if not amount.is_finite() or amount < 0:
            raise TransitionError(AMOUNT_NEGATIVE)
        if amount > MAX_AMOUNT:
            raise TransitionError(AMOUNT_ABSURD)
        if amount != amount.quantize(Decimal("0.01")):
            raise TransitionError(_("Enter the amount with at most two decimals."))
        firms, jobs = int(line.firms or 0), int(line.jobs or 0)
        if not (0 <= firms <= MAX_FIRMS) or not (0 <= jobs <= MAX_JOBS):
            raise TransitionError(
                _("Firms affected: 0 to %(firms)s; jobs affected: 0 to %(jobs)s.")
                % {"firms": f"{MAX_FIRMS:,}", "jobs": f"{MAX_JOBS:,}"}
            )
        if amount == 0 and firms == 0 and jobs == 0:
            raise TransitionError(_("An outcome line needs an amount, firms or jobs."))
        note = (line.note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            raise TransitionError(
                _("A note may have at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}
            )
        checked.append(OutcomeLine(line.kind, amount, firms, jobs, note))
    return checked


def replace_lines(
    problem: Problem, lines: Sequence[OutcomeLine], *, actor, now: dt.datetime
) -> list[ReliefOutcome]:
    """Replace the (locked, answered) problem's outcome lines with `lines` (checked)."""
    counted_on = workdays.local_date(problem.first_resolved_at or now)
    ReliefOutcome.objects.filter(problem=problem).delete()
    return ReliefOutcome.objects.bulk_create(
        [
            ReliefOutcome(
                problem=problem,
                kind=line.kind,
                amount=line.amount,
                firms=line.firms,
                jobs=line.jobs,
                note=line.note,
                counted_on=counted_on,
                recorded_by=actor,
                recorded_at=now,
            )
            for line in lines
        ]
    )


def relief_outcomes_set(
    *,
    problem_id: int,
    actor,
    lines: Sequence[OutcomeLine],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Replace an answered problem's outcome lines (the lead department or the office)."""
    now = now or timezone.now()
    lines = check_lines(lines)
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_act_as_lead(actor, problem) or permissions.is_office(actor),
            _("Only the lead department or the liaison office can record burden relief."),
        )
        _require(
            problem.first_resolved_at is not None,
            _("Burden relief is recorded with the answer: this problem has not been answered."),
        )
        _require(
            problem.status != Status.CLOSED,
            _("This problem is closed: its burden relief can no longer be changed."),
        )
        before = list(problem.relief_outcomes.values_list("kind", "amount"))
        replace_lines(problem, lines, actor=actor, now=now)
        # Other open forms of the page now hold a stale version: the edit moved it on.
        _save(problem, fields={}, from_status=problem.status, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.RELIEF_EDITED,
            is_public=False,
            data={
                "before": [[kind, str(amount)] for kind, amount in before],
                "after": [[line.kind, str(line.amount)] for line in lines],
            },
            now=now,
        )
    return problem
