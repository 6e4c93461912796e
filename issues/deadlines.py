"""The deadline sweep (DESIGN.md §5): warnings, escalations, office reminders and auto-close.

Every rule works on a stored, indexed time (`warn_at`, `due_at`, `escalate_again_at`,
`remind_at`, `autoclose_at`), each with a partial index that holds exactly the rows
the rule may still act on. A rule runs in its own transaction and in a fixed number
of queries, whatever the number of problems:

1. claim and mark, in one statement: an UPDATE that repeats the rule's condition and
   sets the column that takes the row out of the rule's index (`warned_at`,
   `escalated_at`, ...) on the due rows, claimed by a materialized SELECT ... FOR UPDATE
   SKIP LOCKED (PostgreSQL; on SQLite the IMMEDIATE transaction already serialises
   writers), RETURNING what the rule needs of them: two sweeps at the same moment share
   the work instead of doing it twice, and each acts on exactly the rows it changed;
2. recipients: one query for every person the claimed problems concern;
3. record: one INSERT ... SELECT of the ProblemEvents, built by the database from the
   problems' rows and a handful of audiences (workflow.record_problem_events_once), each
   with a dedupe key unique per problem (the database's backstop: a rule can never write
   its event twice);
4. notify: one call to `notifications.write_for_events`, which writes the outbox in
   the same transaction; someone told about more than GROUP_ABOVE problems in one run
   gets one message listing them.

(The office's reminders claim, then mark, and build their few events in Python; the
auto-close is a status change, written by the workflow.)

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
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from celery.exceptions import SoftTimeLimitExceeded, Terminated, TimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from liaison import readiness, workdays
from liaison.models import Department

from . import extensions, notifications, workflow
from .deadline_events import (
    People,
    _event,
    _name,
    _notify,
    _record_and_notify,
    _unique,
)
from .models import (
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
    return list(_due(condition, order_by).values("pk", *fields, **expressions)[:batch_size])


def _due(condition: Q, order_by: str) -> QuerySet[Problem]:
    problems = Problem.objects.filter(condition).order_by(order_by, "pk")
    if connection.features.has_select_for_update_skip_locked:
        problems = problems.select_for_update(skip_locked=True, of=("self",))
    return problems


def _mark(ids: list[int], condition: Q, **values) -> None:
    """Set the rule's marker on the claimed rows, repeating the rule's condition.

    The rows are locked, so every one of them still matches; if not, something wrote
    them without locking and the whole rule is rolled back (ClaimLost) rather than
    recording an event for a row that moved on.
    """
    changed = Problem.objects.filter(condition, pk__in=ids).update(**values)
    if changed != len(ids):
        raise workflow.ClaimLost(f"{changed} of {len(ids)} claimed problems changed")


def _ids_in_sql(ids: list[int]) -> RawSQL:
    """`ids` as a subquery for `pk__in`: one parameter, not one placeholder an id (10,000
    placeholders cost more to send and plan than the query's work)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))


def _claim_and_mark(
    condition: Q, order_by: str, batch_size: int, returning: Iterable[str], **values
) -> list[tuple]:
    """Claim the due rows and set the rule's marker in one statement; the rows marked.

    WITH claimed AS MATERIALIZED (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) UPDATE ...
    WHERE <the rule's condition> AND id IN claimed RETURNING ...: the claim is run once
    (materialized), the UPDATE repeats the condition, and what it returns is exactly
    what this transaction changed and holds, so each row is acted on once however many
    sweeps run at the same moment. `returning`: columns of the problem.
    """
    claim, claim_params = (
        _due(condition, order_by).values("pk")[:batch_size].query.sql_with_params()
    )
    marked = Problem.objects.filter(condition, pk__in=RawSQL("SELECT pk FROM claimed", ()))
    query = marked.query.chain(UpdateQuery)
    query.add_update_values(values)
    update, update_params = query.get_compiler(connection=connection).as_sql()
    ops = connection.ops
    problem = ops.quote_name(Problem._meta.db_table)
    columns = ", ".join(f"{problem}.{ops.quote_name(name)}" for name in returning)
    sql = f"WITH claimed AS MATERIALIZED ({claim}) {update} RETURNING {columns}"
    with connection.cursor() as cursor:
        cursor.execute(sql, (*claim_params, *update_params))
        return cursor.fetchall()


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
    rows = _claim_and_mark(
        condition,
        "warn_at",
        batch_size,
        ("id", "due_at", "deadline_version", "lead_department_id"),
        warned_at=now,
    )
    if not rows:
        return 0
    people = People.load(head_department_ids=[row[3] for row in rows])
    # One audience a department: its heads.
    index_of_department: dict[int | None, int] = {}
    shared: list[dict] = []
    told: list[list] = []
    problems = []
    for pk, due_at, version, department_id in rows:
        index = index_of_department.get(department_id)
        if index is None:
            heads = people.heads.get(department_id, [])
            index = index_of_department[department_id] = len(shared)
            told.append(heads)
            shared.append({"recipients": [_name(u) for u in heads]})
        problems.append((pk, index, due_at, version))
    recorded = workflow.record_problem_events_once(
        kind=EventKind.WARNED, now=now, key="warn:", problems=problems, shared=shared
    )
    index_of = {pk: index for pk, index, *_ in problems}
    return _notify(recorded, lambda event: told[index_of[event.problem_id]])


def escalate(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Red: open past the deadline → its district leader; the office and the heads told."""
    condition = _in_force() & Q(
        status__in=OPEN_STATUSES,
        escalated_at__isnull=True,
        due_at__lt=now,
        merged_into__isnull=True,
    )
    again_at = workdays.deadline_after(now, workflow.SECOND_ESCALATION_WORKING_DAYS).value
    rows = _claim_and_mark(
        condition,
        "due_at",
        batch_size,
        ("id", "due_at", "deadline_version", "lead_department_id", "responsible_leader_id"),
        escalation_level=Greatest(F("escalation_level"), Value(1)),
        escalated_at=now,
        # Changed, for the dashboard's summary (not `version`: a form open on the problem
        # is not stale because the sweep escalated it).
        updated_at=now,
        escalate_again_at=again_at,
        # An unwarned problem that is already late needs no warning any more.
        warned_at=Coalesce(F("warned_at"), Value(now)),
    )
    if not rows:
        return 0
    # The district leader (DISTRICT_LEADER): the responsible leader, else the lead
    # department's supervising leader (one query for the departments).
    supervising = dict(
        Department.objects.filter(pk__in={row[3] for row in rows}).values_list(
            "pk", "supervising_leader_id"
        )
    )
    rows = [(*row[:4], row[4] or supervising.get(row[3])) for row in rows]
    people = People.load(
        user_ids=[row[4] for row in rows],
        head_department_ids=[row[3] for row in rows],
        office=True,
    )
    # The enterprises' commissioners (service; issues.extensions), one query for all.
    also_told = extensions.escalation_audience(_ids_in_sql([row[0] for row in rows]))
    # Thousands of problems share a handful of (leader, department) pairs: their
    # recipients and the names in the events' data are computed once per pair, and the
    # database builds each event from its pair's (workflow.record_problem_events_once).
    audiences: dict[tuple, int] = {}
    shared: list[dict] = []
    told: list[list] = []
    problems = []
    for pk, due_at, version, department_id, leader_id in rows:
        index = audiences.get((leader_id, department_id))
        if index is None:
            leader = people.by_id.get(leader_id)
            heads = people.heads.get(department_id, [])
            index = audiences[leader_id, department_id] = len(shared)
            told.append(_unique([leader, *people.office, *heads]))
            shared.append(
                {
                    "level": 1,
                    "recipients": [_name(leader)] if leader else [],
                    "told": [_name(u) for u in _unique([*heads, *people.office])],
                }
            )
        problems.append((pk, index, due_at, version))
    recorded = workflow.record_problem_events_once(
        kind=EventKind.ESCALATED, now=now, key="escalate1:", problems=problems, shared=shared
    )
    index_of = {pk: index for pk, index, *_ in problems}
    # One list per audience (and commissioner): write_for_events sorts out each list once.
    lists: dict[tuple, list] = {}

    def recipients(event) -> list:
        index = index_of[event.problem_id]
        also = also_told.get(event.problem_id)
        if not also:
            return told[index]
        key = (index, *also)
        if key not in lists:
            lists[key] = [*told[index], *also]
        return lists[key]

    return _notify(recorded, recipients)


def escalate_again(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Still open 5 working days after the escalation → the principal leaders, once."""
    condition = _in_force() & Q(
        status__in=OPEN_STATUSES, escalate_again_at__lt=now, merged_into__isnull=True
    )
    rows = _claim_and_mark(
        condition,
        "escalate_again_at",
        batch_size,
        ("id", "due_at", "deadline_version"),
        escalation_level=2,
        escalate_again_at=None,
        updated_at=now,
    )
    if not rows:
        return 0
    people = People.load(office=True, principals=True)
    shared = {
        "level": 2,
        "recipients": [_name(u) for u in people.principals],
        "told": [_name(u) for u in people.office],
    }
    recipients = _unique([*people.principals, *people.office])
    recorded = workflow.record_problem_events_once(
        kind=EventKind.ESCALATED,
        now=now,
        key="escalate2:",
        problems=[(pk, 0, due_at, version) for pk, due_at, version in rows],
        shared=[shared],
    )
    return _notify(recorded, lambda event: recipients)


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
