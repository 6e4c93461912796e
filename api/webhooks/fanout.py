"""The webhooks' outbox, written with the events: who is sent what, in a few queries.

`deliveries_for_events` is registered with issues.extensions (ApiConfig.ready): every
path that records timeline events calls it inside its transaction, so a delivery row
commits with its event or not at all (a rolled-back transition sends nothing; Redis or
a worker being down loses nothing: the row waits). A fixed number of queries whatever
the number of events and subscriptions: the subscriptions, the problems, their
co-departments (for departments' clients), one INSERT. The unique (subscription, event)
constraint and ON CONFLICT DO NOTHING make a second call write nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from issues import notifications as event_notifications
from issues.models import Problem

from ..models import Binding, Scope, WebhookDelivery, WebhookSubscription
from . import sending
from .events import TYPE_OF_KIND, body_of

PROBLEM_FIELDS = (
    "pk",
    "reference",
    "status",
    "version",
    "enterprise_id",
    "lead_department_id",
    "lead_department__name",
    "due_at",
)


def deliveries_for_events(events: Sequence) -> int:
    """Write a delivery for each (event, subscription) the client may see; return how many.

    Nothing for events recorded without telling anyone (demo data, imports of past
    years: issues.notifications.suppressed). One query, for the subscriptions, when an
    event is of a kind that is sent; none otherwise.
    """
    if event_notifications.is_suppressed():
        return 0
    events = [event for event in events if event.kind in TYPE_OF_KIND]
    if not events:
        return 0
    types = {TYPE_OF_KIND[event.kind] for event in events}
    subscriptions = [
        subscription
        for subscription in active_subscriptions()
        if types.intersection(subscription.event_types or ())
    ]
    if not subscriptions:
        return 0
    problem_ids = list({event.problem_id for event in events})
    problems = {
        row["pk"]: row for row in Problem.objects.filter(pk__in=problem_ids).values(*PROBLEM_FIELDS)
    }
    department_ids = {
        s.client.department_id for s in subscriptions if s.client.binding == Binding.DEPARTMENT
    }
    co_departments: set[tuple[int, int]] = set()
    if department_ids:
        co_departments = set(
            Problem.co_departments.through.objects.filter(
                problem_id__in=problem_ids, department_id__in=department_ids
            ).values_list("problem_id", "department_id")
        )
    rows = []
    for event in events:
        event_type = TYPE_OF_KIND[event.kind]
        problem = problems[event.problem_id]
        body = None
        for subscription in subscriptions:
            if event_type not in subscription.event_types:
                continue
            if not may_see(subscription.client, problem, event, co_departments):
                continue
            if body is None:
                body = body_of(event, event_type, problem)
            rows.append((str(uuid.uuid4()), subscription.pk, event.pk, event_type, body))
    if not rows:
        return 0
    inserted = _insert_ignoring_duplicates(rows, timezone.now())
    if inserted:
        transaction.on_commit(lambda: sending.enqueue(inserted))
    return len(inserted)


def active_subscriptions() -> list[WebhookSubscription]:
    """Subscriptions that are enabled, of clients not revoked that may receive webhooks."""
    subscriptions = WebhookSubscription.objects.filter(
        disabled_at__isnull=True, client__revoked_at__isnull=True, client__user__is_active=True
    ).select_related("client")
    return [s for s in subscriptions if s.client.has_scope(Scope.WEBHOOKS)]


def may_see(client, problem: dict, event, co_departments: set[tuple[int, int]]) -> bool:
    """The rule of issues.selectors.visible_to and events_visible_to for the client's user:
    the district's client sees everything; a department's, the problems it leads or helps
    with; an enterprise's, its own problems' public events."""
    if client.binding == Binding.DISTRICT:
        return True
    if client.binding == Binding.DEPARTMENT:
        if problem["lead_department_id"] == client.department_id:
            return True
        return (problem["pk"], client.department_id) in co_departments
    if client.binding == Binding.ENTERPRISE:
        return problem["enterprise_id"] == client.enterprise_id and event.is_public
    return False


def _insert_ignoring_duplicates(rows: list[tuple], now: dt.datetime) -> list[tuple[str, int]]:
    """One INSERT ... SELECT over a JSON array whatever the number of rows (bulk_create
    would split it into batches on SQLite); returns the (id, subscription id) written.

    Pending, due at now + the requeue's wait: the task queued after the commit sends it
    at once; if the broker was down, the requeue hands it over then.
    """
    ops = connection.ops
    table = ops.quote_name(WebhookDelivery._meta.db_table)
    columns = (
        "id",
        "subscription_id",
        "event_id",
        "event_type",
        "body",
        "created_at",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    column_list = ", ".join(ops.quote_name(c) for c in columns)
    payload = json.dumps(rows, ensure_ascii=False)
    if connection.vendor == "postgresql":
        casts = ("uuid", "bigint", "bigint", "text", "text")
        values = ", ".join(f"(v->>{i})::{cast}" for i, cast in enumerate(casts))
        timestamp = "%s::timestamptz"
        source = "json_array_elements(%s::json) AS r(v)"
        returned = "id::text"
    else:
        # Django keeps a UUID on SQLite as 32 hex digits, without dashes.
        values = "replace(json_extract(value, '$[0]'), '-', ''), " + ", ".join(
            f"json_extract(value, '$[{i}]')" for i in range(1, 5)
        )
        timestamp = "%s"
        source = "json_each(%s)"
        returned = "id"
    values += f", {timestamp}, 'pending', 0, {timestamp}, ''"
    sql = (
        f"INSERT INTO {table} ({column_list}) SELECT {values} FROM {source} "
        f"WHERE true ON CONFLICT DO NOTHING RETURNING {returned}, subscription_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                ops.adapt_datetimefield_value(now),
                ops.adapt_datetimefield_value(now + sending.requeue_after()),
                payload,
            ],
        )
        return [(str(uuid.UUID(str(pk))), subscription_id) for pk, subscription_id in cursor]
