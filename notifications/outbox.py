"""Writing the outbox: rows in one INSERT whatever their number, never twice; messages
rendered by other apps (`write_direct`). Delivery is queued after the commit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import delivery
from .models import Notification
from .people import people

IN_APP = Notification.Channel.IN_APP
EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS


@dataclass(frozen=True)
class Row:
    recipient_id: int
    channel: str
    kind: str
    event_id: int | None
    problem_id: int | None
    dedupe_key: str
    subject: str
    body: str
    body_html: str
    url: str


def write(rows: list[Row], now: dt.datetime) -> int:
    """Insert the rows in one statement, skipping those already there; queue the new ones.

    One INSERT ... SELECT over a JSON array (not bulk_create, which SQLite splits into
    batches of ~60 rows) so the number of queries does not grow with the rows.
    """
    if not rows:
        return 0
    inserted = _insert_ignoring_duplicates(rows, now)
    to_deliver = [pk for pk, channel in inserted if channel != IN_APP]
    if to_deliver:
        transaction.on_commit(lambda: delivery.enqueue(to_deliver))
    return len(inserted)


_COLUMNS = (
    "recipient_id",
    "channel",
    "kind",
    "event_id",
    "problem_id",
    "dedupe_key",
    "subject",
    "body",
    "body_html",
    "url",
)


def _insert_ignoring_duplicates(rows: list[Row], now: dt.datetime) -> list[tuple[int, str]]:
    table = connection.ops.quote_name(Notification._meta.db_table)
    payload = json.dumps([[getattr(row, c) for c in _COLUMNS] for row in rows])
    columns = (
        *_COLUMNS,
        "created_at",
        "state",
        "attempts",
        "last_error",
        "sent_at",
        "next_attempt_at",
    )
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    moment = connection.ops.adapt_datetimefield_value(now)
    # The task queued after the commit should take an e-mail or SMS up at once; if none
    # has by this time (the broker was down), the requeue hands it over.
    requeue_at = connection.ops.adapt_datetimefield_value(now + delivery.requeue_after())
    if connection.vendor == "postgresql":
        casts = ("bigint", "text", "text", "bigint", "bigint", *["text"] * 5)
        values = ", ".join(f"(v->>{i})::{cast}" for i, cast in enumerate(casts))
        channel, timestamp = "(v->>1)", "%s::timestamptz"
        source = "json_array_elements(%s::json) AS r(v)"
    elif connection.vendor == "sqlite":
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS)))
        channel, timestamp = "json_extract(value, '$[1]')", "%s"
        source = "json_each(%s)"
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL
        raise NotImplementedError(connection.vendor)
    # In-app messages are delivered by being written.
    values += (
        f", {timestamp}, CASE WHEN {channel} = 'in_app' THEN 'sent' ELSE 'pending' END, 0, '', "
        f"CASE WHEN {channel} = 'in_app' THEN {timestamp} END, "
        f"CASE WHEN {channel} = 'in_app' THEN NULL ELSE {timestamp} END"
    )
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    sql = (
        f"INSERT INTO {table} ({column_list}) SELECT {values} FROM {source} "
        "WHERE true ON CONFLICT DO NOTHING RETURNING id, channel"
    )
    # The FROM parameter comes after the three in the SELECT list.
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, moment, requeue_at, payload])
        return [(pk, channel) for pk, channel in cursor.fetchall()]


@dataclass(frozen=True)
class DirectMessage:
    """A message not about a problem event (e.g. a key task's milestone), already rendered."""

    recipient_id: int
    kind: str
    # Once per key and person and channel: a re-run writes nothing twice.
    dedupe_key: str
    subject: str
    text: str
    url: str
    html: str = ""
    # Shorter texts for the app and for a text message (to those with a phone); without
    # `sms` no text message is sent.
    in_app: str = ""
    sms: str = ""


def write_direct(messages: Sequence[DirectMessage]) -> int:
    """Write messages that other apps rendered: in the app, by e-mail to those who want
    it, and by SMS to those with a phone if the message has an SMS text. The same
    outbox, delivery and retries as event messages; a fixed number of queries (people,
    one INSERT). Returns how many rows were new."""
    if not messages:
        return 0
    persons = people({m.recipient_id for m in messages})
    rows = []
    for message in messages:
        person = persons.get(message.recipient_id)
        if person is None:
            continue
        channels = [IN_APP]
        if person.email and person.wants_email:
            channels.append(EMAIL)
        if message.sms and person.phone:
            channels.append(SMS)
        bodies = {IN_APP: message.in_app or message.text, EMAIL: message.text, SMS: message.sms}
        for channel in channels:
            rows.append(
                Row(
                    recipient_id=person.pk,
                    channel=channel,
                    kind=message.kind,
                    event_id=None,
                    problem_id=None,
                    dedupe_key=message.dedupe_key[:60],
                    subject=" ".join(message.subject.split())[:200],
                    body=bodies[channel],
                    body_html=message.html if channel == EMAIL else "",
                    url=message.url,
                )
            )
    return write(rows, timezone.now())
