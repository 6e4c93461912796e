"""The deadline sweep (DESIGN.md §5): warnings, escalations, office reminders and auto-close.

Every rule works on a stored, indexed time (`warn_at`, `due_at`, `escalate_again_at`,
`remind_at`, `autoclose_at`), each with a partial index that holds exactly the rows
the rule may still act on. A rule runs in its own transaction and in a fixed number
of queries, whatever the number of problems:

1. claim: SELECT the due rows FOR UPDATE SKIP LOCKED (PostgreSQL; on SQLite the
   IMMEDIATE transaction already serialises writers), so two sweeps at the same
   moment share the work instead of doing it twice;
2. recipients: one query for every person the claimed problems concern;
3. mark: one UPDATE of the claimed ids that repeats the rule's condition, setting the
   column that takes the row out of the rule's index (`warned_at`, `escalated_at`, ...);
4. record: one INSERT of the ProblemEvents, each with a dedupe key unique per problem
   (the database's backstop: a rule can never write its event twice);
5. notify: one call to `notifications.write_for_events`, which writes the outbox in
   the same transaction; someone told about more than GROUP_ABOVE problems in one run
   gets one message listing them.

Dedupe keys: `warn:{v}`, `escalate1:{v}`, `escalate2:{v}` where v is the problem's
`deadline_version` (bumped when a clock starts or the deadline moves: dispatch,
approved extension, reopening, calendar edit), so each fires once per deadline;
`remind:{version}` once per stay in `submitted`; `autoclose` once ever.

A crash commits the rules already done and leaves the rest to the next run; running
twice, or in two workers at once, does each thing once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from liaison import workdays
from liaison.models import Role

from . import notifications, workflow
from .models import (
    OPEN_STATUSES,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Status,
)

logger = logging.getLogger(__name__)

# At most this many problems per rule and run; the rest wait for the next run (a few
# minutes later), so one run's memory and lock time stay bounded.
BATCH_SIZE = 20_000
# A person told about more problems than this in one rule's run gets one message that
# lists them (notifications.write_for_events), not one message per problem.
GROUP_ABOVE = 3


@dataclass
class SweepResult:
    warned: int = 0
    escalated: int = 0
    escalated_again: int = 0
    reminded: int = 0
    auto_closed: int = 0
    key_task_milestones: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# --- claiming and recipients -----------------------------------------------------------


def _claim(condition: Q, order_by: str, fields: Iterable[str], batch_size: int) -> list[dict]:
    """The due rows, locked for this transaction; rows another sweep holds are skipped."""
    problems = Problem.objects.filter(condition).order_by(order_by, "pk")
    if connection.features.has_select_for_update_skip_locked:
        problems = problems.select_for_update(skip_locked=True, of=("self",))
    return list(problems.values("pk", *fields)[:batch_size])


def _mark(ids: list[int], condition: Q, **values) -> None:
    """Set the rule's marker on the claimed rows, repeating the rule's condition.

    The rows are locked, so every one of them still matches; if not, something wrote
    them without locking and the whole rule is rolled back (ClaimLost) rather than
    recording an event for a row that moved on.
    """
    changed = Problem.objects.filter(condition, pk__in=ids).update(**values)
    if changed != len(ids):
        raise workflow.ClaimLost(f"{changed} of {len(ids)} claimed problems changed")


@dataclass
class _People:
    """Everyone the claimed problems concern, read in one query."""

    by_id: dict[int, object]
    heads: dict[int, list]  # department id -> its heads
    office: list
    principals: list

    @classmethod
    def load(
        cls,
        *,
        user_ids: Iterable[int] = (),
        head_department_ids: Iterable[int] = (),
        office: bool = False,
        principals: bool = False,
    ) -> _People:
        user_ids = {pk for pk in user_ids if pk is not None}
        head_department_ids = {pk for pk in head_department_ids if pk is not None}
        wanted = Q(pk__in=user_ids) if user_ids else Q(pk__in=[])
        if head_department_ids:
            wanted |= Q(
                profile__role=Role.DEPARTMENT_HEAD,
                profile__department_id__in=head_department_ids,
            )
        if office:
            wanted |= Q(profile__role=Role.OFFICE)
        if principals:
            wanted |= Q(profile__role=Role.PRINCIPAL)
        users = list(
            get_user_model()
            .objects.filter(wanted, is_active=True)
            .select_related("profile")
            .order_by("pk")
        )
        people = cls(by_id={}, heads={}, office=[], principals=[])
        for user in users:
            people.by_id[user.pk] = user
            profile = getattr(user, "profile", None)
            role = profile.role if profile else None
            if role == Role.DEPARTMENT_HEAD and profile.department_id in head_department_ids:
                people.heads.setdefault(profile.department_id, []).append(user)
            elif role == Role.OFFICE and office:
                people.office.append(user)
            elif role == Role.PRINCIPAL and principals:
                people.principals.append(user)
        return people


def _unique(users: Iterable) -> list:
    seen, result = set(), []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def _name(user) -> str:
    from liaison.templatetags.liaison_tags import person_name

    return person_name(user)


def _record_and_notify(events_with_recipients: list[tuple[ProblemEvent, list]]) -> int:
    recipients_by_key = {
        (event.problem_id, event.dedupe_key): recipients
        for event, recipients in events_with_recipients
    }
    recorded = workflow.record_events_once([event for event, _ in events_with_recipients])
    notifications.write_for_events(
        [(event, recipients_by_key[(event.problem_id, event.dedupe_key)]) for event in recorded],
        group_above=GROUP_ABOVE,
    )
    return len(recorded)


def _event(row: dict, kind: str, key: str, now: dt.datetime, data: dict, public=False):
    return ProblemEvent(
        problem_id=row["pk"],
        actor=None,
        kind=kind,
        is_public=public,
        data=data,
        dedupe_key=key,
        created_at=now,
    )


# --- the rules -------------------------------------------------------------------------


def warn(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Yellow: the last 2 working days began; the lead department's heads are told once."""
    condition = Q(
        status__in=OPEN_STATUSES, warned_at__isnull=True, warn_at__lte=now, due_at__gte=now
    )
    rows = _claim(
        condition, "warn_at", ["deadline_version", "due_at", "lead_department_id"], batch_size
    )
    if not rows:
        return 0
    people = _People.load(head_department_ids=[r["lead_department_id"] for r in rows])
    _mark([r["pk"] for r in rows], condition, warned_at=now)
    names = {pk: [_name(u) for u in heads] for pk, heads in people.heads.items()}
    pairs = []
    for row in rows:
        heads = people.heads.get(row["lead_department_id"], [])
        data = {
            "due_at": row["due_at"].isoformat(),
            "deadline_version": row["deadline_version"],
            "recipients": names.get(row["lead_department_id"], []),
        }
        key = f"warn:{row['deadline_version']}"
        pairs.append((_event(row, EventKind.WARNED, key, now, data), heads))
    return _record_and_notify(pairs)


def escalate(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Red: open past the deadline → its district leader; the office and the heads told."""
    condition = Q(status__in=OPEN_STATUSES, escalated_at__isnull=True, due_at__lt=now)
    rows = _claim(
        condition,
        "due_at",
        [
            "deadline_version",
            "due_at",
            "lead_department_id",
            "responsible_leader_id",
            "lead_department__supervising_leader_id",
        ],
        batch_size,
    )
    if not rows:
        return 0
    for row in rows:
        row["leader_id"] = (
            row["responsible_leader_id"] or row["lead_department__supervising_leader_id"]
        )
    people = _People.load(
        user_ids=[r["leader_id"] for r in rows],
        head_department_ids=[r["lead_department_id"] for r in rows],
        office=True,
    )
    again_at = workdays.deadline_after(now, workflow.SECOND_ESCALATION_WORKING_DAYS).value
    _mark(
        [r["pk"] for r in rows],
        condition,
        escalation_level=Greatest(F("escalation_level"), Value(1)),
        escalated_at=now,
        # Changed, for the dashboard's summary (not `version`: a form open on the problem
        # is not stale because the sweep escalated it).
        updated_at=now,
        escalate_again_at=again_at,
        # An unwarned problem that is already late needs no warning any more.
        warned_at=Coalesce(F("warned_at"), Value(now)),
    )
    # Thousands of problems share a handful of (leader, department) pairs: compute their
    # recipients and names once per pair.
    audiences: dict[tuple, tuple[list, list, list]] = {}
    pairs = []
    for row in rows:
        audience_key = (row["leader_id"], row["lead_department_id"])
        if audience_key not in audiences:
            leader = people.by_id.get(row["leader_id"])
            heads = people.heads.get(row["lead_department_id"], [])
            audiences[audience_key] = (
                _unique([leader, *people.office, *heads]),
                [_name(leader)] if leader else [],
                [_name(u) for u in _unique([*heads, *people.office])],
            )
        recipients, leader_names, told_names = audiences[audience_key]
        data = {
            "level": 1,
            "due_at": row["due_at"].isoformat(),
            "deadline_version": row["deadline_version"],
            "recipients": leader_names,
            "told": told_names,
        }
        key = f"escalate1:{row['deadline_version']}"
        pairs.append((_event(row, EventKind.ESCALATED, key, now, data), recipients))
    return _record_and_notify(pairs)


def escalate_again(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Still open 5 working days after the escalation → the principal leaders, once."""
    condition = Q(status__in=OPEN_STATUSES, escalate_again_at__lt=now)
    rows = _claim(condition, "escalate_again_at", ["deadline_version", "due_at"], batch_size)
    if not rows:
        return 0
    people = _People.load(office=True, principals=True)
    _mark(
        [r["pk"] for r in rows],
        condition,
        escalation_level=2,
        escalate_again_at=None,
        updated_at=now,
    )
    data_common = {
        "level": 2,
        "recipients": [_name(u) for u in people.principals],
        "told": [_name(u) for u in people.office],
    }
    recipients = _unique([*people.principals, *people.office])
    pairs = []
    for row in rows:
        data = {
            **data_common,
            "due_at": row["due_at"].isoformat(),
            "deadline_version": row["deadline_version"],
        }
        key = f"escalate2:{row['deadline_version']}"
        pairs.append((_event(row, EventKind.ESCALATED, key, now, data), recipients))
    return _record_and_notify(pairs)


def remind(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Left `submitted` more than 1 working day → the office is reminded, once."""
    condition = Q(status=Status.SUBMITTED, reminded_at__isnull=True, remind_at__lt=now)
    rows = _claim(condition, "remind_at", ["version", "clock_started_at"], batch_size)
    if not rows:
        return 0
    people = _People.load(office=True)
    _mark([r["pk"] for r in rows], condition, reminded_at=now)
    pairs = []
    for row in rows:
        data = {
            "returned": row["clock_started_at"] is not None,
            "recipients": [_name(u) for u in people.office],
        }
        key = f"remind:{row['version']}"
        pairs.append((_event(row, EventKind.REMINDED, key, now, data), people.office))
    return _record_and_notify(pairs)


def auto_close(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Answered and not evaluated for 5 working days → closed as "not evaluated"."""
    condition = Q(status=Status.RESOLVED, autoclose_at__lt=now)
    rows = _claim(condition, "autoclose_at", ["submitted_by_id"], batch_size)
    if not rows:
        return 0
    people = _People.load(user_ids=[r["submitted_by_id"] for r in rows])
    submitter = {r["pk"]: people.by_id.get(r["submitted_by_id"]) for r in rows}
    # A status change: the workflow writes it (and its events), set-based.
    events = workflow.problems_auto_close([r["pk"] for r in rows], now=now)
    notifications.write_for_events(
        [(event, _unique([submitter[event.problem_id]])) for event in events]
    )
    return len(events)


# Most urgent first; each in its own transaction.
RULES: list[tuple[str, Callable[..., int]]] = [
    ("escalated_again", escalate_again),
    ("escalated", escalate),
    ("warned", warn),
    ("reminded", remind),
    ("auto_closed", auto_close),
]
# Other apps add their rules when they load (keytasks: overdue milestones, see its apps.py).


def sweep(now: dt.datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Run every rule once. A failing rule is logged and the others still run."""
    now = now or timezone.now()
    result = SweepResult()
    for name, rule in RULES:
        try:
            with transaction.atomic():
                count = rule(now, batch_size)
        except Exception:
            logger.exception("deadline rule %s failed; the next run tries again", name)
            result.failed.append(name)
            continue
        setattr(result, name, count)
    return result


# --- recomputing stored times after a calendar edit ------------------------------------

RECOMPUTE_BATCH = 500


def _approved_extension_days() -> Subquery:
    """Working days of extensions approved since the clock in force started."""
    return Subquery(
        ExtensionRequest.objects.filter(
            problem=OuterRef("pk"),
            decision=ExtensionRequest.Decision.APPROVED,
            decided_at__gte=OuterRef("clock_started_at"),
        )
        .order_by()
        .values("problem")
        .annotate(total=Sum("days"))
        .values("total")
    )


def _waiting_since() -> Subquery:
    """When the problem last entered `submitted` (submitted, or returned by a department)."""
    return Subquery(
        ProblemEvent.objects.filter(
            problem=OuterRef("pk"), kind__in=[EventKind.SUBMITTED, EventKind.RETURNED]
        )
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )


def _recompute_candidates() -> QuerySet[Problem]:
    """Problems with a time still ahead: waiting for triage, open, or waiting for evaluation."""
    return Problem.objects.filter(status__in=[Status.SUBMITTED, *OPEN_STATUSES, Status.RESOLVED])


def _recomputed(problem: Problem, now: dt.datetime) -> dict:
    """The stored times `problem` should have under the current calendar."""
    fields: dict = {}
    clock_running = problem.status in (Status.SUBMITTED, *OPEN_STATUSES)
    if clock_running and problem.clock_started_at is not None:
        days = settings.LIAISON_DEADLINE_WORKING_DAYS + (problem.extension_days or 0)
        deadline = workflow.deadline_from(problem.clock_started_at, days)
        fields.update(workflow.deadline_moved_fields(problem, deadline, now=now))
        if problem.reopen_count == 0:
            fields["original_due_at"] = workflow.deadline_from(problem.clock_started_at).due_at
    if problem.status == Status.SUBMITTED and problem.waiting_since is not None:
        fields["remind_at"] = workflow.remind_at_from(problem.waiting_since)
    if problem.status == Status.RESOLVED and problem.last_resolved_at is not None:
        fields["autoclose_at"] = workflow.autoclose_at_from(problem.last_resolved_at)
    if problem.escalate_again_at is not None and problem.escalated_at is not None:
        fields.setdefault(
            "escalate_again_at",
            workdays.deadline_after(
                problem.escalated_at, workflow.SECOND_ESCALATION_WORKING_DAYS
            ).value,
        )
    return {name: value for name, value in fields.items() if getattr(problem, name) != value}


def deadlines_recompute(now: dt.datetime | None = None) -> int:
    """Recompute the stored times of unfinished problems from their starting points.

    Called after the working-day calendar changed (an exception or a year edited, the
    package schedule loaded). The starting points are stored: the clock's start, the
    extensions approved since, the time the problem entered `submitted` or was last
    answered. Batches of RECOMPUTE_BATCH problems, each locked while it is recomputed
    (a transition waits instead of being overwritten); only changed rows are written,
    in one bulk UPDATE per batch. Returns how many problems changed.
    """
    now = now or timezone.now()
    changed_total = 0
    ids = list(_recompute_candidates().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        batch = ids[start : start + RECOMPUTE_BATCH]
        with transaction.atomic():
            problems = Problem.objects.filter(pk__in=batch).annotate(
                extension_days=_approved_extension_days(),
                waiting_since=_waiting_since(),
            )
            if connection.features.has_select_for_update:
                problems = problems.select_for_update(of=("self",))
            changed, names = [], set()
            for problem in problems:
                fields = _recomputed(problem, now)
                if fields:
                    for name, value in fields.items():
                        setattr(problem, name, value)
                    names.update(fields)
                    changed.append(problem)
            if changed:
                for problem in changed:
                    problem.updated_at = now
                names.add("updated_at")
                Problem.objects.bulk_update(changed, sorted(names), batch_size=RECOMPUTE_BATCH)
            changed_total += len(changed)
    if changed_total:
        logger.info("calendar edit: stored deadlines of %s problems recomputed", changed_total)
    return changed_total
