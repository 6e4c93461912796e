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

The working-day calendar. Each rule holds the calendar unchanged for its transaction
(workdays.in_force: a shared advisory lock that a calendar edit takes exclusively, so an
edit waits for the running rule and a rule waits for an edit being committed) and claims
only problems whose stored times were computed with the revision in force
(`calendar_revision`). A calendar edit commits a new revision; from then on, the
problems it may have moved are left alone until recomputed: by the worker's
`deadlines_recompute` (queued by the edit) or, first thing in each sweep, a bounded
share of it. So the sweep never acts on a deadline the current calendar no longer gives,
however long the recompute takes, and whatever process computed the deadline with a
copy of the calendar read before the edit.

What was done before an edit stands: a warning or an escalation made on the deadline
then in force is recorded and was true when made. If the edit moves an escalated
problem's deadline into the future, the recompute withdraws the escalation: the
problem is no longer overdue (escalation level 0, off the leaders' escalation lists,
its warning and escalations may happen again on the new deadline), an internal
ESCALATION_WITHDRAWN entry on its timeline says so, and everyone the escalations told
(its district leader, the principal leaders for a second escalation, the lead
department's heads, the office) is told that it is no longer overdue and until when it
runs. A department is not chased for lateness the corrected calendar says it never
had; an approved extension, by contrast, keeps the escalation level (that lateness was
real). If the new deadline has passed too, the escalation stands and is not repeated.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from celery.exceptions import SoftTimeLimitExceeded, Terminated, TimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from liaison import readiness, workdays

from . import extensions, notifications, workflow
from .deadline_events import (
    People,
    _event,
    _name,
    _record_and_notify,
    _unique,
)
from .models import (
    DISTRICT_LEADER,
    OPEN_STATUSES,
    EventKind,
    Problem,
    Status,
)
from .recompute import deadlines_recompute

logger = logging.getLogger(__name__)

# At most this many problems per rule and run; the rest wait for the next run (a few
# minutes later), so one run's memory and lock time stay bounded.
BATCH_SIZE = 20_000
# Not a rule's error but the worker stopping the task (its soft time limit, a revoke with
# terminate): Celery's own exceptions derive from Exception, so they are named here and
# let through, and the sweep ends at once instead of running on until the hard kill.
STOP_SWEEP = (SoftTimeLimitExceeded, TimeLimitExceeded, Terminated)


@dataclass
class SweepResult:
    warned: int = 0
    escalated: int = 0
    escalated_again: int = 0
    reminded: int = 0
    auto_closed: int = 0
    key_task_milestones: int = 0
    recomputed: int = 0  # problems whose times a calendar edit moved, caught up first
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# --- claiming and recipients -----------------------------------------------------------


def _claim(
    condition: Q, order_by: str, fields: Iterable[str], batch_size: int, **expressions
) -> list[dict]:
    """The due rows, locked for this transaction; rows another sweep holds are skipped."""
    problems = Problem.objects.filter(condition).order_by(order_by, "pk")
    if connection.features.has_select_for_update_skip_locked:
        problems = problems.select_for_update(skip_locked=True, of=("self",))
    return list(problems.values("pk", *fields, **expressions)[:batch_size])


def _mark(ids: list[int], condition: Q, **values) -> None:
    """Set the rule's marker on the claimed rows, repeating the rule's condition.

    The rows are locked, so every one of them still matches; if not, something wrote
    them without locking and the whole rule is rolled back (ClaimLost) rather than
    recording an event for a row that moved on.
    """
    changed = Problem.objects.filter(condition, pk__in=ids).update(**values)
    if changed != len(ids):
        raise workflow.ClaimLost(f"{changed} of {len(ids)} claimed problems changed")


# --- the rules -------------------------------------------------------------------------


def _in_force() -> Q:
    """Problems whose stored times are of the calendar in force, held for this transaction."""
    return Q(calendar_revision=workdays.in_force(hold=True))


def warn(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Yellow: the last 2 working days began; the lead department's heads are told once."""
    condition = _in_force() & Q(
        status__in=OPEN_STATUSES,
        warned_at__isnull=True,
        warn_at__lte=now,
        due_at__gte=now,
        merged_into__isnull=True,
    )
    rows = _claim(
        condition, "warn_at", ["deadline_version", "due_at", "lead_department_id"], batch_size
    )
    if not rows:
        return 0
    people = People.load(head_department_ids=[r["lead_department_id"] for r in rows])
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
    condition = _in_force() & Q(
        status__in=OPEN_STATUSES,
        escalated_at__isnull=True,
        due_at__lt=now,
        merged_into__isnull=True,
    )
    rows = _claim(
        condition,
        "due_at",
        ["deadline_version", "due_at", "lead_department_id"],
        batch_size,
        leader_id=DISTRICT_LEADER,
    )
    if not rows:
        return 0
    people = People.load(
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
    # The enterprises' commissioners (service; issues.extensions), one query for all.
    also_told = extensions.escalation_audience([r["pk"] for r in rows])
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
        also = also_told.get(row["pk"], [])
        pairs.append((_event(row, EventKind.ESCALATED, key, now, data), [*recipients, *also]))
    return _record_and_notify(pairs)


def escalate_again(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Still open 5 working days after the escalation → the principal leaders, once."""
    condition = _in_force() & Q(
        status__in=OPEN_STATUSES, escalate_again_at__lt=now, merged_into__isnull=True
    )
    rows = _claim(condition, "escalate_again_at", ["deadline_version", "due_at"], batch_size)
    if not rows:
        return 0
    people = People.load(office=True, principals=True)
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
    condition = _in_force() & Q(
        status=Status.SUBMITTED, reminded_at__isnull=True, remind_at__lt=now
    )
    rows = _claim(condition, "remind_at", ["version", "clock_started_at"], batch_size)
    if not rows:
        return 0
    people = People.load(office=True)
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
    condition = _in_force() & Q(status=Status.RESOLVED, autoclose_at__lt=now)
    rows = _claim(condition, "autoclose_at", ["submitted_by_id"], batch_size)
    if not rows:
        return 0
    people = People.load(user_ids=[r["submitted_by_id"] for r in rows])
    submitter = {r["pk"]: people.by_id.get(r["submitted_by_id"]) for r in rows}
    # A status change: the workflow writes it (and its events), set-based; the rows are
    # locked and of the revision in force (the calendar is held), so its own condition
    # needs no revision.
    events = workflow.problems_auto_close([r["pk"] for r in rows], now=now)
    notifications.write_for_events(
        [(event, _unique([submitter[event.problem_id]])) for event in events]
    )
    return len(events)


# Problems recomputed at the start of each sweep, at most (a few seconds' work): the
# worker's recompute does the bulk after an edit; the sweep must stay short.
CATCH_UP = 2_000


# The sweep's rules, by name (a SweepResult field), in the order they run: most urgent
# first, each in its own transaction. Add one with `register_rule`.
SWEEP_RULES: dict[str, Callable[..., int]] = {}


def register_rule(name: str, rule: Callable[..., int]) -> None:
    """Run `rule(now, batch_size)` in every sweep, after the rules registered before it.

    `name` is the SweepResult field that gets its count. Registering a name again keeps
    its place and takes the new rule. Other apps register theirs when they load
    (keytasks: overdue milestones, in its AppConfig.ready).
    """
    SWEEP_RULES[name] = rule


register_rule("escalated_again", escalate_again)
register_rule("escalated", escalate)
register_rule("warned", warn)
register_rule("reminded", remind)
register_rule("auto_closed", auto_close)


def sweep(now: dt.datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Run every rule once. A failing rule is logged and the others still run.

    First, up to CATCH_UP problems left behind by a calendar edit are recomputed (the
    worker's recompute normally has them done already; this is for those it has not
    reached yet, or computed meanwhile with a copy of the calendar read before the edit).

    Told to stop (STOP_SWEEP, e.g. the task's soft time limit), the sweep stops: the
    rule that was running rolls back, the ones before it stay committed, the later ones
    wait for the next run, and the exception goes on to the task.
    """

    now = now or timezone.now()
    result = SweepResult()
    try:
        result.recomputed = deadlines_recompute(now, limit=CATCH_UP, skip_locked=True)
    except STOP_SWEEP:
        raise
    except Exception:
        logger.exception("recomputing deadlines for the calendar failed; the next run tries again")
        result.failed.append("recomputed")
    for name, rule in list(SWEEP_RULES.items()):
        try:
            with transaction.atomic():
                count = rule(now, batch_size)
        except STOP_SWEEP:
            logger.warning("deadline sweep stopped during rule %s; the next run goes on", name)
            raise
        except Exception:
            logger.exception("deadline rule %s failed; the next run tries again", name)
            result.failed.append(name)
            continue
        setattr(result, name, count)
    return result


# --- Readiness: the sweep's last completed run (liaison.readiness, /readyz) ---------------

SWEEP_HEARTBEAT = "deadline_sweep"


def sweep_record_run() -> None:
    """A sweep has run to its end (the task, `manage.py enforce_deadlines`)."""
    readiness.heartbeat_record(SWEEP_HEARTBEAT)


def sweep_readiness_check() -> readiness.Result:
    """Registered as /readyz's "deadline_sweep" (IssuesConfig.ready)."""
    return readiness.heartbeat_age_check(SWEEP_HEARTBEAT, settings.LIAISON_READYZ_SWEEP_MAX_AGE)
