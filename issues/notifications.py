"""The notification outbox: who is told about what, the rows written with each event, delivery.

`workflow.record_event` calls `event_recorded(event)` inside its transaction: the
outbox rows (in-app, e-mail, SMS) are written in that same transaction, so a
committed event always has its messages and a rolled-back one has none. Delivery
tasks are queued after the commit; if the broker is down the rows stay pending and
`requeue_pending` (a beat task) queues them later. `deliver` is idempotent: it
sends only a pending row and marks it sent with a conditional UPDATE.

The deadline sweep passes its own recipients to `write_for_events`, which writes
any number of (event, recipients) pairs in a fixed number of queries.

Handlers registered with `register` are still called with each committed event id
(after commit); they must never raise into the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

from liaison import workdays
from liaison.models import DEPARTMENT_ROLES, Role
from liaison.templatetags.liaison_tags import person_name

from .models import OPEN_STATUSES, EventKind, Notification, Problem, ProblemEvent

logger = logging.getLogger(__name__)

Handler = Callable[[int], None]
_handlers: list[Handler] = []
_state = threading.local()

IN_APP = Notification.Channel.IN_APP
EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS

# Who is told about each kind of event (DESIGN.md §8 and the lifecycle). Warnings,
# escalations and reminders come from the deadline sweep, which names its recipients.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    EventKind.SUBMITTED: ("office",),
    EventKind.DISPATCHED: ("lead_heads", "handler", "enterprise"),
    EventKind.REJECTED: ("enterprise",),
    EventKind.RETURNED: ("office",),
    EventKind.RESOLVED: ("enterprise",),
    EventKind.REOPENED: ("lead_heads", "handler", "office"),
    EventKind.EXTENSION_REQUESTED: ("office", "leader"),
    EventKind.EXTENSION_APPROVED: ("lead_heads", "requester"),
    EventKind.EXTENSION_DENIED: ("lead_heads", "requester"),
    EventKind.INSTRUCTED: ("lead_heads", "handler"),
    EventKind.HANDLER_ASSIGNED: ("handler",),
    # Coordination meetings (meetings.coordination): the departments called to it and the
    # enterprise; an action item's department; its convener when an item is done.
    EventKind.COORDINATION_CONVENED: ("lead_heads", "coordination_heads", "enterprise"),
    EventKind.ACTION_ITEM_ADDED: ("action_item_heads",),
    EventKind.ACTION_ITEM_DONE: ("convener",),
}
# The office sees new problems on its triage page: a bell entry is enough.
IN_APP_ONLY_KINDS = frozenset({EventKind.SUBMITTED})
# Urgent enough for a text message to the leaders they go to, if they have a phone.
SMS_KINDS = frozenset({EventKind.ESCALATED})
SMS_ROLES = frozenset({Role.LEADER, Role.PRINCIPAL})
# The deadline sweep's kinds: the office, told of every one of them, follows them on its
# pages and in the bell; one e-mail per problem would bury its inbox.
SWEEP_KINDS = frozenset({EventKind.WARNED, EventKind.ESCALATED, EventKind.REMINDED})
DIGEST_KIND = "digest"
# Templates of a dispatch before its face-to-face meeting is held (the clock waits).
EARLY_DISPATCH = "dispatched_early"

# Delivery.
MAX_ATTEMPTS = 7  # the first try and Celery's 6 retries (issues.tasks.deliver_notification)
REQUEUE_AFTER = dt.timedelta(minutes=1)
REQUEUE_BATCH = 500
DUE_SOON_WORKING_DAYS = 2


# --- the hook the workflow calls -------------------------------------------------------


@contextmanager
def suppressed() -> Iterator[None]:
    """Record events without telling anyone: for demo data and data imports."""
    previous = getattr(_state, "suppressed", False)
    _state.suppressed = True
    try:
        yield
    finally:
        _state.suppressed = previous


def is_suppressed() -> bool:
    return getattr(_state, "suppressed", False)


def register(handler: Handler) -> Handler:
    """Add a handler called with the id of each committed ProblemEvent."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unregister(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def event_recorded(event: ProblemEvent) -> None:
    """Called by the workflow inside the transaction that wrote `event`: write its outbox rows."""
    if is_suppressed():
        return
    recipients = recipients_for(event)
    if recipients:
        write_for_events([(event, recipients)])
    transaction.on_commit(lambda: event_committed(event.pk))


def event_committed(event_id: int) -> None:
    """After the commit: hand the event to the registered handlers; none may break the caller."""
    for handler in list(_handlers):
        try:
            handler(event_id)
        except Exception:
            logger.exception("notification handler %r failed for event %s", handler, event_id)


# --- who is told ------------------------------------------------------------------------


def recipients_for(event: ProblemEvent) -> list:
    """The users told about a workflow event (one query; none for the sweep's own kinds)."""
    audiences = RECIPIENTS.get(event.kind, ())
    if not audiences:
        return []
    problem = event.problem
    department_id = problem.lead_department_id
    if event.kind == EventKind.INSTRUCTED and department_id is None:
        audiences = ("office",)  # an instruction before dispatch is for the office
    wanted = Q(pk__in=[])
    if "office" in audiences:
        wanted |= Q(profile__role=Role.OFFICE)
    if "lead_heads" in audiences and department_id is not None:
        wanted |= Q(profile__department_id=department_id, profile__role__in=DEPARTMENT_ROLES)
    if "handler" in audiences and problem.handler_id is not None:
        wanted |= Q(pk=problem.handler_id)
    if "enterprise" in audiences and event.is_public:
        wanted |= Q(profile__role=Role.ENTERPRISE, profile__enterprise_id=problem.enterprise_id)
    if "leader" in audiences:
        leader_id = problem.responsible_leader_id
        if leader_id is None and department_id is not None:
            wanted |= Q(supervised_departments__pk=department_id)
        elif leader_id is not None:
            wanted |= Q(pk=leader_id)
    coordination = event.data.get("coordination_meeting")
    if "coordination_heads" in audiences and coordination:
        wanted |= Q(
            profile__role=Role.DEPARTMENT_HEAD,
            profile__department__coordination_meetings=coordination,
        )
    if "action_item_heads" in audiences and event.data.get("action_item"):
        wanted |= Q(
            profile__role=Role.DEPARTMENT_HEAD,
            profile__department__action_items=event.data["action_item"],
        )
    if "convener" in audiences and coordination:
        wanted |= Q(convened_meetings=coordination)
    if "requester" in audiences and event.data.get("extension"):
        wanted |= Q(pk__in=_requester_of(event.data["extension"]))
    users = list(
        get_user_model()
        .objects.filter(wanted, is_active=True)
        .exclude(pk=event.actor_id or 0)
        .select_related("profile")
        .distinct()
    )
    if "lead_heads" in audiences:
        users = _heads_not_staff(users, department_id, keep_id=problem.handler_id)
    return users


def _requester_of(extension_id: int):
    from .models import ExtensionRequest

    return ExtensionRequest.objects.filter(pk=extension_id).values("requested_by_id")


def _heads_not_staff(users: list, department_id: int | None, *, keep_id: int | None) -> list:
    """A department is told through its head(s); through all its members if it has none."""
    members = [u for u in users if _department_of(u) == department_id]
    heads = [u for u in members if u.profile.role == Role.DEPARTMENT_HEAD]
    if not heads:
        return users
    dropped = {u.pk for u in members if u.profile.role != Role.DEPARTMENT_HEAD} - {keep_id}
    return [u for u in users if u.pk not in dropped]


def _department_of(user) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.department_id if profile is not None else None


# --- writing the outbox -----------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    pk: int
    name: str
    email: str
    language: str
    wants_email: bool
    phone: str
    is_enterprise: bool
    role: str = ""


def write_for_events(
    pairs: Sequence[tuple[ProblemEvent, Iterable]], *, group_above: int | None = None
) -> int:
    """Write the outbox rows for each (event, recipients) pair; return how many were new.

    In-app always; e-mail to those with an address who want e-mail; SMS for urgent
    kinds to those with a phone. Never to the event's actor; enterprise users only for
    public events. Texts are rendered in each recipient's language. A fixed number of
    queries whatever the number of pairs (problems, people, one INSERT), and a re-run
    writes nothing twice (the unique constraints, ON CONFLICT DO NOTHING). Delivery
    is queued after the commit.

    With `group_above` (the deadline sweep), a person told about more than that many
    events of one kind in this call gets one message listing them ("37 problems were
    escalated to you") instead of one message per problem: a leader's phone should
    not ring 37 times, and 10,000 escalations stay a few hundred rows.
    """
    pairs = [(event, list(users)) for event, users in pairs]
    if not pairs:
        return 0
    if any(event.pk is None for event, _ in pairs):
        raise ValueError("write_for_events needs saved events")
    now = timezone.now()
    user_ids = {_pk(u) for _, users in pairs for u in users}
    user_ids |= {event.actor_id for event, _ in pairs if event.actor_id}
    people = _people(user_ids)
    # Who is told about what: (event, person) once each, in the order given.
    told: list[tuple[ProblemEvent, _Person]] = []
    for event, users in pairs:
        for user_id in dict.fromkeys(_pk(u) for u in users):
            person = people.get(user_id)
            if person is None or user_id == event.actor_id:
                continue
            if person.is_enterprise and not event.is_public:
                continue  # enterprise users never see internal events
            told.append((event, person))
    groups: dict[tuple, list[ProblemEvent]] = {}
    if group_above is not None:
        for event, person in told:
            groups.setdefault((person.pk, *_group_of(event)), []).append(event)
        groups = {key: events for key, events in groups.items() if len(events) > group_above}
    singles = [
        (event, person) for event, person in told if (person.pk, *_group_of(event)) not in groups
    ]
    # One query whatever the number (in_bulk would split it into batches of 999 on
    # SQLite); for a group only the problems its message lists.
    problem_ids = {event.problem_id for event, _ in singles}
    for events in groups.values():
        problem_ids.update(event.problem_id for event in events[:GROUP_LISTED])
    problems = {
        problem.pk: problem
        for problem in Problem.objects.select_related("enterprise", "lead_department").filter(
            pk__in=list(problem_ids)
        )
    }
    renderer = _EventRenderer()
    rows = []
    # Recipients who read the same language get the same text: render it once per event.
    messages: dict[tuple, Message] = {}
    for event, person in singles:
        problem = problems[event.problem_id]
        variant = (event.pk, person.language, person.is_enterprise)
        message = messages.get(variant)
        if message is None:
            actor = people.get(event.actor_id)
            message = messages[variant] = renderer.render(event, problem, actor, person)
        for channel in _channels(event.kind, person):
            rows.append(
                _Row(
                    recipient_id=person.pk,
                    channel=channel,
                    kind=event.kind,
                    event_id=event.pk,
                    problem_id=problem.pk,
                    dedupe_key="",
                    subject=message.subject,
                    body=_body_for(channel, message),
                    # The HTML part is rendered when the e-mail is sent (see
                    # _send_email): storing it for every row would make the
                    # sweep's single INSERT many times larger.
                    body_html="",
                    url=message.path,
                )
            )
    for (user_id, kind, level), events in groups.items():
        person = people[user_id]
        message = _render_group(person, kind, level, events, problems, now)
        # Each event is new (recorded once): the smallest id names this batch for good.
        key = f"{kind}:{level}:group:{min(event.pk for event in events)}"
        for channel in _channels(kind, person):
            rows.append(
                _Row(
                    recipient_id=user_id,
                    channel=channel,
                    kind=kind,
                    event_id=None,
                    problem_id=None,
                    dedupe_key=key,
                    subject=message.subject,
                    body=_group_body(channel, message),
                    body_html=message.html if channel == EMAIL else "",
                    url=message.path,
                )
            )
    return _write(rows, now)


# A grouped message lists this many problems and says how many more there are.
GROUP_LISTED = 20


def _group_body(channel: str, message: Message) -> str:
    """E-mail: the whole text. SMS: the headline and link. In the app: the problems, one
    per line (the subject already says what happened; the page links to the list)."""
    if channel == SMS:
        return message.sms
    if channel == IN_APP:
        return message.in_app
    return message.text


def _group_of(event: ProblemEvent) -> tuple[str, int]:
    """What a grouped message is about: the kind, and the escalation level for escalations."""
    return event.kind, int((event.data or {}).get("level") or 0)


def _group_page(person: _Person, kind: str) -> str:
    """Where a grouped message points: the page of this person's that lists those problems."""
    if person.role in (Role.LEADER, Role.PRINCIPAL):
        return reverse("issues:escalations")
    if person.role in DEPARTMENT_ROLES:
        return reverse("issues:department")
    if kind == EventKind.REMINDED:
        return reverse("issues:triage")
    if kind == EventKind.WARNED:
        return reverse("issues:list") + "?due_within=2"
    return reverse("issues:list") + "?overdue=true"


def _group_headline(kind: str, level: int, count: int, person: _Person) -> str:
    if kind == EventKind.WARNED:
        return ngettext(
            "%(count)d problem of your department is due within 2 working days.",
            "%(count)d problems of your department are due within 2 working days.",
            count,
        ) % {"count": count}
    if kind == EventKind.ESCALATED and level >= 2:
        return ngettext(
            "%(count)d problem is still open 5 working days after its escalation and was "
            "escalated to the principal leaders.",
            "%(count)d problems are still open 5 working days after their escalation and "
            "were escalated to the principal leaders.",
            count,
        ) % {"count": count}
    if kind == EventKind.ESCALATED and person.role == Role.LEADER:
        return ngettext(
            "%(count)d problem passed its deadline and was escalated to you.",
            "%(count)d problems passed their deadline and were escalated to you.",
            count,
        ) % {"count": count}
    if kind == EventKind.ESCALATED:
        return ngettext(
            "%(count)d problem passed its deadline and was escalated to a district leader.",
            "%(count)d problems passed their deadline and were escalated to district leaders.",
            count,
        ) % {"count": count}
    if kind == EventKind.REMINDED:
        return ngettext(
            "%(count)d problem has waited more than 1 working day to be dispatched.",
            "%(count)d problems have waited more than 1 working day to be dispatched.",
            count,
        ) % {"count": count}
    label = EventKind(kind).label if kind in EventKind.values else kind
    return ngettext("%(count)d problem: %(kind)s.", "%(count)d problems: %(kind)s.", count) % {
        "count": count,
        "kind": label,
    }


def _render_group(
    person: _Person, kind: str, level: int, events: list[ProblemEvent], problems: dict, now
) -> Message:
    base = site_url()
    path = _group_page(person, kind)
    with translation.override(person.language):
        items = []
        for event in events[:GROUP_LISTED]:
            problem = problems[event.problem_id]
            items.append(
                {
                    "reference": problem.reference,
                    "title": problem.title,
                    "enterprise": problem.enterprise.name,
                    "department": problem.lead_department.name if problem.lead_department else "",
                    "due_date": _date(problem.due_at),
                    "url": base + reverse("issues:detail", args=[problem.reference]),
                }
            )
        headline = _group_headline(kind, level, len(events), person)
        context = {
            "LANGUAGE_CODE": person.language,
            "name": person.name,
            "headline": headline,
            "problems": items,
            "more": len(events) - len(items),
            "url": base + path,
        }
        subject = " ".join(render_to_string("emails/group_subject.txt", context).split())
        lines = [f"{item['reference']} {item['title']}" for item in items]
        if context["more"]:
            lines.append(
                ngettext("… and %(more)d more.", "… and %(more)d more.", context["more"])
                % {"more": context["more"]}
            )
        return Message(
            subject=subject[:200],
            in_app="\n".join(lines),
            text=render_to_string("emails/group.txt", context),
            rendered_html=render_to_string("emails/group.html", context),
            sms=f"{headline} {base + path}"[:300],
            path=path,
        )


def _body_for(channel: str, message: Message) -> str:
    """E-mail: the whole text. SMS: subject and link. In the app: the first paragraph
    only (the page links to the problem; the e-mail's details and footer are noise there)."""
    if channel == SMS:
        return message.sms
    if channel == IN_APP:
        return message.text.split("\n\n", 1)[0].strip()
    return message.text


def _pk(user) -> int:
    return user if isinstance(user, int) else user.pk


def _channels(kind: str, person: _Person) -> list[str]:
    channels = [IN_APP]
    if kind in IN_APP_ONLY_KINDS:
        return channels
    if kind in SWEEP_KINDS and person.role == Role.OFFICE:
        return channels
    if person.email and person.wants_email:
        channels.append(EMAIL)
    if kind in SMS_KINDS and person.phone and person.role in SMS_ROLES:
        channels.append(SMS)
    return channels


def _people(user_ids: Iterable[int]) -> dict[int, _Person]:
    """Active users with what their messages need, in one query."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .values(
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "profile__role",
            "profile__language",
            "profile__email_notifications",
            "profile__phone",
        )
    )
    people = {}
    for row in rows:
        names = SimpleNamespace(
            first_name=row["first_name"],
            last_name=row["last_name"],
            get_username=lambda username=row["username"]: username,
        )
        wants_email = row["profile__email_notifications"]
        people[row["pk"]] = _Person(
            pk=row["pk"],
            name=person_name(names),
            email=row["email"] or "",
            language=row["profile__language"] or settings.LANGUAGE_CODE,
            wants_email=True if wants_email is None else wants_email,
            phone=row["profile__phone"] or "",
            is_enterprise=row["profile__role"] == Role.ENTERPRISE,
            role=row["profile__role"] or "",
        )
    return people


@dataclass(frozen=True)
class _Row:
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


def _write(rows: list[_Row], now: dt.datetime) -> int:
    """Insert the rows in one statement, skipping those already there; queue the new ones.

    One INSERT ... SELECT over a JSON array (not bulk_create, which SQLite splits into
    batches of ~60 rows) so the number of queries does not grow with the rows.
    """
    if not rows:
        return 0
    inserted = _insert_ignoring_duplicates(rows, now)
    to_deliver = [pk for pk, channel in inserted if channel != IN_APP]
    if to_deliver:
        transaction.on_commit(lambda: enqueue(to_deliver))
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


def _insert_ignoring_duplicates(rows: list[_Row], now: dt.datetime) -> list[tuple[int, str]]:
    table = connection.ops.quote_name(Notification._meta.db_table)
    payload = json.dumps([[getattr(row, c) for c in _COLUMNS] for row in rows])
    columns = (*_COLUMNS, "created_at", "state", "attempts", "last_error", "sent_at")
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    moment = connection.ops.adapt_datetimefield_value(now)
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
        f"CASE WHEN {channel} = 'in_app' THEN {timestamp} END"
    )
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    sql = (
        f"INSERT INTO {table} ({column_list}) SELECT {values} FROM {source} "
        "WHERE true ON CONFLICT DO NOTHING RETURNING id, channel"
    )
    # The FROM parameter comes after the two in the SELECT list.
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, moment, payload])
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


def write_direct(messages: Sequence[DirectMessage]) -> int:
    """Write messages that other apps rendered: in the app, and by e-mail to those who
    want it. The same outbox, delivery and retries as event messages; a fixed number of
    queries (people, one INSERT). Returns how many rows were new."""
    if not messages:
        return 0
    people = _people({m.recipient_id for m in messages})
    rows = []
    for message in messages:
        person = people.get(message.recipient_id)
        if person is None:
            continue
        channels = [IN_APP]
        if person.email and person.wants_email:
            channels.append(EMAIL)
        for channel in channels:
            rows.append(
                _Row(
                    recipient_id=person.pk,
                    channel=channel,
                    kind=message.kind,
                    event_id=None,
                    problem_id=None,
                    dedupe_key=message.dedupe_key[:60],
                    subject=" ".join(message.subject.split())[:200],
                    body=message.text,
                    body_html=message.html if channel == EMAIL else "",
                    url=message.url,
                )
            )
    return _write(rows, timezone.now())


# --- rendering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    sms: str
    path: str
    # The HTML part is only needed when an e-mail is sent: filled in on demand.
    in_app: str = ""  # a grouped message's text in the app
    html_skeleton: str = ""
    html_values: tuple = ()
    rendered_html: str = ""

    @property
    def html(self) -> str:
        if self.rendered_html:
            return self.rendered_html
        values = dict(self.html_values)
        values = {**values, "text": linebreaks(escape(values.get("text", "")))}
        values = {k: v if k == "text" else escape(v) for k, v in values.items()}
        return _fill(self.html_skeleton, values)


# Stand-ins rendered into a template once per (kind, language, variant), then replaced
# by each event's values: rendering 10,000 escalations costs a few template renders.
_FIELDS = (
    "reference",
    "title",
    "enterprise",
    "department",
    "due_date",
    "actor",
    "text",
    "url",
    "days",
)


def _token(name: str) -> str:
    return f"\ue000{name}\ue001"


class _EventRenderer:
    def __init__(self) -> None:
        self._skeletons: dict[tuple, tuple[str, str, str]] = {}
        self._paths: dict[int, str] = {}
        self._dates: dict[tuple, str] = {}
        self.site_url = site_url()

    def render(self, event: ProblemEvent, problem: Problem, actor, person: _Person) -> Message:
        text = event.text if (event.is_public or not person.is_enterprise) else ""
        if not person.is_enterprise and not text:
            text = (event.data or {}).get("internal_note", "")
        kind = event.kind
        if kind == EventKind.DISPATCHED and problem.due_at is None:
            kind = EARLY_DISPATCH  # for a meeting not yet held: no deadline to name yet
        key = (kind, person.language, bool(text), person.is_enterprise)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            skeleton = self._skeletons[key] = _render_skeleton(*key)
        path = self._paths.get(problem.pk)
        if path is None:
            path = self._paths[problem.pk] = reverse("issues:detail", args=[problem.reference])
        date_key = (person.language, problem.due_at)
        due_date = self._dates.get(date_key)
        if due_date is None:
            with translation.override(person.language):
                due_date = self._dates[date_key] = _date(problem.due_at)
        values = {
            "reference": problem.reference,
            "title": problem.title,
            "enterprise": problem.enterprise.name,
            "department": problem.lead_department.name if problem.lead_department else "",
            "due_date": due_date,
            "actor": actor.name if actor else "",
            "text": text,
            "url": self.site_url + path,
            "days": str(event.data.get("days", "")),
        }
        subject, body, html = skeleton
        subject = " ".join(_fill(subject, values).split())[:200]
        return Message(
            subject=subject,
            text=_fill(body, values),
            sms=f"{subject} {values['url']}"[:300],
            path=path,
            html_skeleton=html,
            html_values=tuple(values.items()),
        )


def _fill(skeleton: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        skeleton = skeleton.replace(_token(name), value)
    return skeleton


def _render_skeleton(
    kind: str, language: str, has_text: bool, for_enterprise: bool
) -> tuple[str, str, str]:
    context = {name: _token(name) for name in _FIELDS}
    label_kind = EventKind.DISPATCHED if kind == EARLY_DISPATCH else kind
    with translation.override(language):
        context.update(
            LANGUAGE_CODE=language,
            kind_label=(
                str(EventKind(label_kind).label) if label_kind in EventKind.values else kind
            ),
            has_text=has_text,
            for_enterprise=for_enterprise,
            text="" if not has_text else _token("text"),
        )
        if kind == EARLY_DISPATCH:
            context["due_date"] = ""
        return (
            # Kinds without their own templates (e.g. a new sweep kind) use the generic ones.
            render_to_string([f"emails/{kind}_subject.txt", "emails/event_subject.txt"], context),
            render_to_string([f"emails/{kind}.txt", "emails/event.txt"], context),
            render_to_string([f"emails/{kind}.html", "emails/event.html"], context),
        )


def _date(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return formats.date_format(workdays.local_date(moment), "DATE_FORMAT")


def site_url() -> str:
    """Where links in e-mails point: LIAISON_SITE_URL, e.g. https://liaison.example.gov.cn."""
    return getattr(settings, "LIAISON_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


# --- queueing and delivery --------------------------------------------------------------


def enqueue(notification_ids: Sequence[int]) -> int:
    """Queue a delivery task per id; return how many were queued. Never raises.

    Called after commit, often still inside a web request: with the broker down it
    must fail fast. The connection therefore does not retry (kombu would spend ~6 s
    per call), the first failure stops the loop, and the rows stay pending for
    `requeue_pending` to queue once the broker is back.
    """
    from .tasks import deliver_notification

    app = deliver_notification.app
    options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
    queued = 0
    try:
        with app.connection_for_write(transport_options=options) as connection:
            for pk in notification_ids:
                deliver_notification.apply_async((pk,), connection=connection, retry=False)
                queued += 1
    except Exception as error:
        logger.warning(
            "could not queue %d notification(s), left pending for the requeue task: %s",
            len(notification_ids) - queued,
            error,
        )
    return queued


def deliver(notification_id: int, *, final_attempt: bool = False) -> str:
    """Send one pending e-mail or SMS; return its state. Idempotent: a sent row is not resent.

    On a sending error the attempt and error are recorded and the error re-raised so
    that Celery retries with backoff; on the final attempt the row is marked failed
    (the office sees it on the outbox page) and nothing is raised.
    """
    notification = (
        Notification.objects.select_related("recipient", "recipient__profile")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.state != Notification.State.PENDING:
        return notification.state if notification else "missing"
    pending = Notification.objects.filter(pk=notification.pk, state=Notification.State.PENDING)
    try:
        if notification.channel == EMAIL:
            _send_email(notification)
        elif notification.channel == SMS:
            _send_sms(notification)
        # In-app rows are written as sent; a pending one has nothing to send.
    except _Skip as reason:
        pending.update(state=Notification.State.SKIPPED, last_error=str(reason))
        return Notification.State.SKIPPED
    except Exception as error:
        final = final_attempt or notification.attempts + 1 >= MAX_ATTEMPTS
        pending.update(
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            **({"state": Notification.State.FAILED} if final else {}),
        )
        if final:
            logger.error("notification %s failed for good: %s", notification.pk, error)
            return Notification.State.FAILED
        raise
    pending.update(
        state=Notification.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return Notification.State.SENT


class _Skip(Exception):
    """Nothing to send to (the address or phone was removed since the row was written)."""


def _send_email(notification: Notification) -> None:
    address = notification.recipient.email
    if not address or not notification.recipient.is_active:
        raise _Skip("no e-mail address")
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    html = notification.body_html or html_of(notification)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def html_of(notification: Notification) -> str:
    """The HTML part of an event's e-mail, rendered at sending time in the recipient's language."""
    if notification.event_id is None:
        return ""
    event = ProblemEvent.objects.get(pk=notification.event_id)
    problem = Problem.objects.select_related("enterprise", "lead_department").get(
        pk=event.problem_id
    )
    people = _people({notification.recipient_id, *([event.actor_id] if event.actor_id else [])})
    person = people.get(notification.recipient_id)
    if person is None:
        return ""
    return _EventRenderer().render(event, problem, people.get(event.actor_id), person).html


class LoggingSmsBackend:
    """The default SMS backend: writes the message to the log (no SMS gateway configured)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_backend():
    """The SMS backend named by LIAISON_SMS_BACKEND (a class with send(phone, text))."""
    path = getattr(settings, "LIAISON_SMS_BACKEND", "issues.notifications.LoggingSmsBackend")
    return import_string(path)()


def _send_sms(notification: Notification) -> None:
    profile = getattr(notification.recipient, "profile", None)
    phone = profile.phone if profile is not None else ""
    if not phone or not notification.recipient.is_active:
        raise _Skip("no phone number")
    sms_backend().send(phone, notification.body)


def requeue_pending(*, now: dt.datetime | None = None, batch: int = REQUEUE_BATCH) -> int:
    """Queue again e-mails and SMS never tried and older than a minute (broker was down).

    Rows already tried are in Celery's retry chain (acks_late keeps it across worker
    restarts); queuing them again would only shorten their backoff.
    """
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            state=Notification.State.PENDING,
            attempts=0,
            created_at__lt=now - REQUEUE_AFTER,
        )
        .exclude(channel=IN_APP)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    return enqueue(ids) if ids else 0


# --- in-app -----------------------------------------------------------------------------


def inbox(user):
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=user, channel=IN_APP).select_related("problem")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, channel=IN_APP, read_at=None).count()


def mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread in-app notification of `user` as read."""
    unread = Notification.objects.filter(recipient=user, channel=IN_APP, read_at=None)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def undelivered():
    """E-mails and SMS that failed or still wait: the office's outbox page."""
    return (
        Notification.objects.filter(
            state__in=[Notification.State.FAILED, Notification.State.PENDING]
        )
        .exclude(channel=IN_APP)
        .select_related("recipient", "problem")
        .order_by("-created_at", "-id")
    )


def retry_failed(*, notification_id: int) -> bool:
    """The office sends a failed message again (e.g. after SMTP was repaired)."""
    changed = Notification.objects.filter(
        pk=notification_id, state=Notification.State.FAILED
    ).update(state=Notification.State.PENDING, attempts=0, last_error="")
    if changed:
        transaction.on_commit(lambda: enqueue([notification_id]))
    return bool(changed)


def preferences_set(*, user, email_notifications: bool, language: str) -> None:
    """The user's choices: e-mail on or off, and the language of e-mails and in-app texts."""
    from liaison.models import Profile

    Profile.objects.filter(user=user).update(
        email_notifications=email_notifications, language=language
    )


# --- the daily digest -------------------------------------------------------------------


def send_daily_digest(*, now: dt.datetime | None = None) -> int:
    """08:30 on working days: leaders their open escalations, heads their due-soon and overdue.

    Once per person and day (dedupe key), nothing for an empty list, a fixed number of
    queries. Returns the number of outbox rows written.
    """
    now = now or timezone.now()
    today = workdays.local_date(now)
    if not workdays.is_working_day(today):
        return 0
    open_problems = Problem.objects.filter(status__in=OPEN_STATUSES)
    fields = ("pk", "reference", "title", "due_at", "escalation_level", "lead_department_id")
    escalated = list(
        open_problems.filter(escalation_level__gte=1)
        .values(
            *fields,
            "responsible_leader_id",
            "lead_department__supervising_leader_id",
        )
        .order_by("due_at", "pk")
    )
    # Due soon: due by the end of the next working day (the last 2 working days), or overdue.
    last_day = workdays.add_working_days(today, DUE_SOON_WORKING_DAYS - 1).value
    due_soon = list(
        open_problems.filter(due_at__lte=workdays.end_of_day(last_day))
        .values(*fields)
        .order_by("due_at", "pk")
    )
    lists: dict[int, list[dict]] = {}
    for problem in escalated:
        leader_id = (
            problem["responsible_leader_id"] or problem["lead_department__supervising_leader_id"]
        )
        if leader_id:
            lists.setdefault(leader_id, []).append(problem)
    departments = {p["lead_department_id"] for p in due_soon}
    people_rows = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pk__in=list(lists))
            | Q(profile__role=Role.PRINCIPAL)
            | Q(profile__role=Role.DEPARTMENT_HEAD, profile__department_id__in=departments)
        )
        .values_list("pk", "profile__role", "profile__department_id")
    )
    level_two = [p for p in escalated if p["escalation_level"] >= 2]
    for pk, role, department_id in people_rows:
        if role == Role.PRINCIPAL:
            known = {p["pk"] for p in lists.get(pk, [])}
            lists.setdefault(pk, []).extend(p for p in level_two if p["pk"] not in known)
        elif role == Role.DEPARTMENT_HEAD:
            mine = [p for p in due_soon if p["lead_department_id"] == department_id]
            if mine:
                lists.setdefault(pk, []).extend(mine)
    lists = {pk: problems for pk, problems in lists.items() if problems}
    if not lists:
        return 0
    people = _people(lists)
    rows = []
    for user_id, problems in lists.items():
        person = people.get(user_id)
        if person is None:
            continue
        message = _render_digest(person, problems, today, now)
        for channel in (IN_APP, EMAIL) if person.email and person.wants_email else (IN_APP,):
            rows.append(
                _Row(
                    recipient_id=user_id,
                    channel=channel,
                    kind=DIGEST_KIND,
                    event_id=None,
                    problem_id=None,
                    dedupe_key=f"digest:{today.isoformat()}",
                    subject=message.subject,
                    body=message.text,
                    body_html=message.html if channel == EMAIL else "",
                    url=message.path,
                )
            )
    return _write(rows, now)


def _render_digest(person: _Person, problems: list[dict], today: dt.date, now) -> Message:
    base = site_url()
    with translation.override(person.language):
        items = [
            {
                "reference": p["reference"],
                "title": p["title"],
                "due_date": _date(p["due_at"]),
                "overdue": p["due_at"] is not None and p["due_at"] < now,
                "escalation_level": p["escalation_level"],
                "url": base + reverse("issues:detail", args=[p["reference"]]),
            }
            for p in problems
        ]
        context = {
            "LANGUAGE_CODE": person.language,
            "name": person.name,
            "problems": items,
            "date": formats.date_format(today, "DATE_FORMAT"),
            "overdue_count": sum(1 for item in items if item["overdue"]),
            "url": base + reverse("home"),
        }
        subject = render_to_string("emails/digest_subject.txt", context)
        return Message(
            subject=" ".join(subject.split())[:200],
            text=render_to_string("emails/digest.txt", context),
            rendered_html=render_to_string("emails/digest.html", context),
            sms="",
            path=reverse("home"),
        )
