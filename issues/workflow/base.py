"""The workflow's errors and helpers: lock the problem, check, save, record its events
(one at a time, or many at once in one statement)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.locking import StaleVersion, lock_versioned

from .. import extensions, notifications
from ..clock import SWEPT_TIMES
from ..models import (
    Problem,
    ProblemEvent,
    ReferenceCounter,
)


class TransitionError(Exception):
    """A transition that may not happen; `message` is shown to the user as it is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class NotAllowed(TransitionError):
    pass


class WrongState(TransitionError):
    pass


class StaleProblem(TransitionError, StaleVersion):
    pass


# A problem submitted again with the same title and text within this time is a duplicate.
RESUBMIT_WINDOW = dt.timedelta(minutes=30)
# Of those, the enterprise's latest this many are compared (intake._earlier_submissions).
RESUBMIT_RECENT = 50


class DuplicateSubmission(TransitionError):
    """The same form was submitted twice; `problem` is the one the first submission made."""

    def __init__(self, problem) -> None:
        super().__init__(_("This form was already submitted; the problem was saved once."))
        self.problem = problem


# --- helpers ---------------------------------------------------------------------------


def lock_problem(problem_id: int, expected_version: int | None = None) -> Problem:
    """The problem, locked until the end of the transaction; StaleProblem if it moved on."""
    return lock_versioned(
        Problem.objects,
        problem_id,
        expected_version,
        missing=NotAllowed(_("This problem does not exist.")),
        stale=StaleProblem(
            _(
                "This problem was changed by someone else while you were looking at it. "
                "The page now shows its current state; please check and try again."
            )
        ),
    )


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
    if "calendar_revision" not in fields and any(fields.get(t) is not None for t in SWEPT_TIMES):
        raise ValueError("a deadline stored without the calendar revision it was computed with")
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
    extensions.events_recorded([event])
    return event


def _save_and_record(
    problem: Problem,
    *,
    fields: dict,
    from_status: str,
    now: dt.datetime,
    actor,
    kind: str,
    data: dict | None = None,
    dedupe_key: str = "",
) -> ProblemEvent:
    """`_save` a transition from `from_status` and record its event, to the new status."""
    _save(problem, fields=fields, from_status=from_status, now=now)
    return record_event(
        problem,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=problem.status,
        data=data,
        now=now,
        dedupe_key=dedupe_key,
    )


def _next_reference(year: int) -> str:
    """Next `YYYY-NNNNN` of the year; the counter row stays locked until commit, so no gaps.

    One statement (PostgreSQL and SQLite both take it): the year's row made if missing,
    else counted on, the row's lock held to the end of the transaction as the UPDATE
    takes it (three statements before: insert-if-missing, select for update, update).
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{year:04d}-{number:05d}"


def _clean_text(text: str, message) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionError(message)
    return text


class ClaimLost(Exception):
    """A set-based UPDATE changed fewer rows than were claimed; the caller rolls back."""


# The columns a set-based INSERT of timeline events writes, in its order.
EVENT_COLUMNS = (
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
    columns = EVENT_COLUMNS
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
    extensions.events_recorded(recorded)
    return recorded


@dataclass(slots=True)
class RecordedEvent:
    """An event written set-based by `record_problem_events_once`: what the listeners
    and the outbox read of it (a model instance each would cost most of a sweep)."""

    pk: int
    problem_id: int
    kind: str
    data: dict
    created_at: dt.datetime
    dedupe_key: str
    actor_id: int | None = None
    is_public: bool = False
    text: str = ""
    from_status: str = ""
    to_status: str = ""

    @property
    def id(self) -> int:
        return self.pk


def record_problem_events_once(
    *, kind: str, now: dt.datetime, key: str, problems: list[tuple], shared: list[dict]
) -> list[RecordedEvent]:
    """Insert one internal event of `kind` for each problem, built from its row by the
    database: one INSERT ... SELECT whatever the number, skipping those recorded.

    `problems`: (problem id, index into `shared`, its due_at, its deadline_version), as
    the sweep's claim returned them (the rows are locked). Each event's data is its
    `shared` dict plus the problem's `due_at` (ISO 8601, as datetime.isoformat writes
    it) and `deadline_version`; its dedupe key is `key` followed by the deadline version.
    What goes over the wire is two numbers a problem, not the events: 10,000 escalations
    are a 150 kB statement instead of 3 MB. Inserted in the order of the problems'
    deadlines (then ids). The listeners (issues.extensions) are told, as with
    record_events_once. Returns the events inserted, in id order.
    """
    if not problems:
        return []
    ops = connection.ops
    event_table = ops.quote_name(ProblemEvent._meta.db_table)
    problem_table = ops.quote_name(Problem._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in EVENT_COLUMNS)
    if connection.vendor == "postgresql":
        due_at = (
            "to_char(p.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            "date_part('microseconds', p.due_at)::bigint %% 1000000 = 0 THEN '' ELSE "
            "to_char(p.due_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
        )
        data = (
            "(%s::jsonb -> (r.v->>1)::int) || jsonb_build_object('due_at', "
            f"{due_at}, 'deadline_version', p.deadline_version)"
        )
        source = "json_array_elements(%s::json) AS r(v)"
        problem_id = "(r.v->>0)::bigint"
        moment = "%s::timestamptz"
        false = "false"
    else:
        # Django keeps a datetime on SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
        due_at = "replace(p.due_at, ' ', 'T') || '+00:00'"
        data = (
            "json_patch(json_extract(%s, '$[' || json_extract(r.value, '$[1]') || ']'), "
            f"json_object('due_at', {due_at}, 'deadline_version', p.deadline_version))"
        )
        source = "json_each(%s) AS r"
        problem_id = "json_extract(r.value, '$[0]')"
        moment = "%s"
        false = "0"
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    sql = (
        f"INSERT INTO {event_table} ({columns}) "
        f"SELECT p.id, NULL, {moment}, %s, '', '', '', {false}, {data}, "
        f"%s || p.deadline_version FROM {source} JOIN {problem_table} p ON p.id = {problem_id} "
        "WHERE true ORDER BY p.due_at, p.id ON CONFLICT DO NOTHING RETURNING id, problem_id"
    )
    params = [
        ops.adapt_datetimefield_value(now),
        kind,
        json.dumps(shared, cls=DjangoJSONEncoder),
        key,
        json.dumps([[problem_id, index] for problem_id, index, *_ in problems]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = sorted(cursor.fetchall())
    of_problem = {problem_id: rest for problem_id, *rest in problems}
    recorded = []
    for pk, problem_id in inserted:
        index, due, version = of_problem[problem_id]
        recorded.append(
            RecordedEvent(
                pk=pk,
                problem_id=problem_id,
                kind=kind,
                data={
                    **shared[index],
                    "due_at": due.isoformat() if due else None,
                    "deadline_version": version,
                },
                created_at=now,
                dedupe_key=f"{key}{version}",
            )
        )
    extensions.events_recorded(recorded)
    return recorded
