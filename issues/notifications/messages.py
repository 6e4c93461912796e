"""What people read about problems' events, written to the outbox (the notifications app):
one message per event and person, or, for the deadline sweep, one message listing many
problems; each kind's templates looked up once, rendered in the recipient's language.

Who is told and through which channels is issues.notifications.rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.template.loader import get_template, select_template
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from liaison.formats import deadline_date, from_iso
from liaison.models import DEPARTMENT_ROLES, Role
from notifications import api as outbox
from notifications.api import EMAIL, IN_APP, SMS, Message, Person, Row, site_url

from ..models import EventKind, Problem, ProblemEvent
from .rules import audience_of, channels_for

DIGEST_KIND = "digest"
# Templates of a dispatch before its face-to-face meeting is held (the clock waits).
EARLY_DISPATCH = "dispatched_early"


# --- writing the outbox -----------------------------------------------------------------


def write_for_events(
    pairs: Sequence[tuple[ProblemEvent, Iterable]],
    *,
    group_above: int | None = None,
    known: Iterable = (),
    problems: Iterable[Problem] = (),
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

    `known`, `problems`: users just read with their profiles (notifications.people) and
    problems just saved: not read again (a problem only with its enterprise and lead
    department loaded).
    """
    # Events that share one recipients list (the sweep passes a handful of lists for
    # thousands of events) are sorted out once per list: who is told, and who not.
    pairs = [(event, users if isinstance(users, list) else list(users)) for event, users in pairs]
    if not pairs:
        return 0
    if any(event.pk is None for event, _ in pairs):
        raise ValueError("write_for_events needs saved events")
    now = timezone.now()
    lists = {id(users): users for _, users in pairs}
    user_ids = {outbox.pk_of(u) for users in lists.values() for u in users}
    user_ids |= {event.actor_id for event, _ in pairs if event.actor_id}
    people = outbox.people(user_ids, known=known)
    audiences: dict[tuple, list[Person]] = {}
    # Who is told about what: (event, person, its group) once each, in the order given.
    told: list[tuple[ProblemEvent, Person, tuple]] = []
    for event, users in pairs:
        audience_key = (id(users), event.actor_id, event.is_public)
        audience = audiences.get(audience_key)
        if audience is None:
            audience = audiences[audience_key] = audience_of(users, people, event)
        group = _group_of(event)
        told.extend((event, person, group) for person in audience)
    groups: dict[tuple, list[ProblemEvent]] = {}
    if group_above is not None:
        for event, person, group in told:
            groups.setdefault((person.pk, *group), []).append(event)
        groups = {key: events for key, events in groups.items() if len(events) > group_above}
    singles = [
        (event, person) for event, person, group in told if (person.pk, *group) not in groups
    ]
    # One query whatever the number (in_bulk would split it into batches of 999 on
    # SQLite); for a group only the problems its message lists.
    problem_ids = {event.problem_id for event, _ in singles}
    for events in groups.values():
        problem_ids.update(event.problem_id for event in events[:GROUP_LISTED])
    problems = _problems_in_hand(problems, problem_ids)
    if problem_ids - problems.keys():
        problems.update(
            (problem.pk, problem)
            for problem in Problem.objects.select_related("enterprise", "lead_department").filter(
                pk__in=list(problem_ids - problems.keys())
            )
        )
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
        for channel in channels_for(event.kind, person):
            rows.append(
                Row(
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
    templates = _group_templates() if groups else None
    for (user_id, kind, level), events in groups.items():
        person = people[user_id]
        message = _render_group(person, kind, level, events, problems, now, templates, renderer)
        # Each event is new (recorded once): the smallest id names this batch for good.
        key = f"{kind}:{level}:group:{min(event.pk for event in events)}"
        for channel in channels_for(kind, person):
            rows.append(
                Row(
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
    return outbox.write(rows, now)


def _problems_in_hand(problems: Iterable[Problem], problem_ids: set[int]) -> dict[int, Problem]:
    """Those of `problems` a message needs (in `problem_ids`) that hold what it reads of
    them, their enterprise and lead department."""
    return {
        problem.pk: problem
        for problem in problems
        if problem.pk in problem_ids
        and Problem.enterprise.is_cached(problem)
        and (problem.lead_department_id is None or Problem.lead_department.is_cached(problem))
    }


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


def _group_page(person: Person, kind: str) -> str:
    """Where a grouped message points: the page of this person's that lists those problems."""
    if kind == EventKind.ESCALATION_WITHDRAWN and person.role not in DEPARTMENT_ROLES:
        return reverse("issues:list")
    if person.role in (Role.LEADER, Role.PRINCIPAL):
        return reverse("issues:escalations")
    if person.role in DEPARTMENT_ROLES:
        return reverse("issues:department")
    if kind == EventKind.REMINDED:
        return reverse("issues:triage")
    if kind == EventKind.WARNED:
        return reverse("issues:list") + "?due_within=2"
    return reverse("issues:list") + "?overdue=true"


def _group_headline(kind: str, level: int, count: int, person: Person) -> str:
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
    if kind == EventKind.ESCALATION_WITHDRAWN:
        return ngettext(
            "The working-day calendar was changed: %(count)d escalated problem is no longer "
            "overdue and its escalation is withdrawn.",
            "The working-day calendar was changed: %(count)d escalated problems are no longer "
            "overdue and their escalations are withdrawn.",
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


def _render_in(language: str, template, context: dict) -> str:
    with translation.override(language):
        return template.render(context)


def _group_templates() -> dict:
    """The grouped message's templates, looked up and compiled once per call of
    write_for_events (without the cached loader, as in development, each lookup would
    read and compile the file again)."""
    return {
        "subject": get_template("emails/group_subject.txt"),
        "text": get_template("emails/group.txt"),
        "html": get_template("emails/group.html"),
    }


def _render_group(
    person: Person,
    kind: str,
    level: int,
    events: list[ProblemEvent],
    problems: dict,
    now,
    templates: dict | None = None,
    renderer: _EventRenderer | None = None,
) -> Message:
    templates = templates or _group_templates()
    # The renderer's caches: the problems listed recur from one person's message to the
    # next (the office's, a leader's, a head's), their links and dates are made once.
    renderer = renderer or _EventRenderer()
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
                    "due_date": renderer.due_date(problem, person.language),
                    "url": base + renderer.path_of(problem),
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
        subject = " ".join(templates["subject"].render(context).split())
        lines = [f"{item['reference']} {item['title']}" for item in items]
        if context["more"]:
            lines.append(
                ngettext("… and %(more)d more.", "… and %(more)d more.", context["more"])
                % {"more": context["more"]}
            )
        return Message(
            subject=subject[:200],
            in_app="\n".join(lines),
            text=templates["text"].render(context),
            # Only an e-mail needs it (not the office's bell entries, not a text message).
            render_html=lambda: _render_in(person.language, templates["html"], context),
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


# --- rendering --------------------------------------------------------------------------


# Each kind's three templates are looked up and compiled once per renderer (a sweep), then
# rendered per message with that message's values: 10,000 escalations cost no lookups, and
# the HTML part is rendered only when an e-mail is sent (Message.html).
_Templates = tuple  # (subject, text, html): compiled templates


class _EventRenderer:
    def __init__(self) -> None:
        self._templates: dict[str, _Templates] = {}
        self._labels: dict[tuple, str] = {}
        self._paths: dict[int, str] = {}
        self._dates: dict[tuple, str] = {}
        self.site_url = site_url()

    def _templates_of(self, kind: str) -> _Templates:
        templates = self._templates.get(kind)
        if templates is None:
            # Kinds without their own templates (e.g. a new sweep kind) use the generic ones.
            templates = self._templates[kind] = (
                select_template([f"emails/{kind}_subject.txt", "emails/event_subject.txt"]),
                select_template([f"emails/{kind}.txt", "emails/event.txt"]),
                select_template([f"emails/{kind}.html", "emails/event.html"]),
            )
        return templates

    def _label_of(self, kind: str, language: str) -> str:
        label = self._labels.get((kind, language))
        if label is None:
            label_kind = EventKind.DISPATCHED if kind == EARLY_DISPATCH else kind
            with translation.override(language):
                label = self._labels[kind, language] = (
                    str(EventKind(label_kind).label) if label_kind in EventKind.values else kind
                )
        return label

    def path_of(self, problem: Problem) -> str:
        path = self._paths.get(problem.pk)
        if path is None:
            path = self._paths[problem.pk] = reverse("issues:detail", args=[problem.reference])
        return path

    def due_date(self, problem: Problem, language: str) -> str:
        date_key = (language, problem.due_at)
        due_date = self._dates.get(date_key)
        if due_date is None:
            with translation.override(language):
                due_date = self._dates[date_key] = _date(problem.due_at)
        return due_date

    def render(self, event: ProblemEvent, problem: Problem, actor, person: Person) -> Message:
        text = event.text if (event.is_public or not person.is_enterprise) else ""
        if not person.is_enterprise and not text:
            text = (event.data or {}).get("internal_note", "")
        kind = event.kind
        if kind == EventKind.DISPATCHED and problem.due_at is None:
            kind = EARLY_DISPATCH  # for a meeting not yet held: no deadline to name yet
        language = person.language
        subject_template, text_template, html_template = self._templates_of(kind)
        path = self.path_of(problem)
        due_date = self.due_date(problem, language)
        if text and event.data and ("starts_at" in event.data or "item_due_date" in event.data):
            with translation.override(language):
                text = f"{text}\n{_event_dates(event.data)}"
        url = self.site_url + path
        context = {
            "LANGUAGE_CODE": language,
            "kind_label": self._label_of(kind, language),
            "has_text": bool(text),
            "for_enterprise": person.is_enterprise,
            "reference": problem.reference,
            "title": problem.title,
            "enterprise": problem.enterprise.name,
            "department": problem.lead_department.name if problem.lead_department else "",
            "due_date": "" if kind == EARLY_DISPATCH else due_date,
            "actor": actor.name if actor else "",
            "text": text,
            "url": url,
            "days": str(event.data.get("days", "")),
        }
        with translation.override(language):
            subject = " ".join(subject_template.render(context).split())[:200]
            body = text_template.render(context)

        def render_html() -> str:
            with translation.override(language):
                return html_template.render(context)

        return Message(
            subject=subject,
            text=body,
            sms=f"{subject} {url}"[:300],
            path=path,
            render_html=render_html,
        )


def _event_dates(data: dict | None) -> str:
    """The dates an event keeps in its data (a coordination meeting's time, an action
    item's due date) in the active language, one a line; its text has none."""
    data = data or {}
    lines = []
    starts_at = from_iso(data.get("starts_at"))
    if isinstance(starts_at, dt.datetime):
        lines.append(formats.date_format(timezone.localtime(starts_at), "DATETIME_FORMAT"))
    if data.get("item_due_date"):
        lines.append(_("Due %(date)s") % {"date": deadline_date(data["item_due_date"])})
    return "\n".join(lines)


def _date(moment: dt.datetime | None) -> str:
    """A deadline in the recipient's language (active here), with its weekday."""
    return deadline_date(moment)


def html_of(notification) -> str:
    """The HTML part of an event's e-mail, rendered at sending time in the recipient's
    language (registered with notifications in IssuesConfig.ready)."""
    if notification.event_id is None:
        return ""
    event = ProblemEvent.objects.get(pk=notification.event_id)
    problem = Problem.objects.select_related("enterprise", "lead_department").get(
        pk=event.problem_id
    )
    people = outbox.people(
        {notification.recipient_id, *([event.actor_id] if event.actor_id else [])}
    )
    person = people.get(notification.recipient_id)
    if person is None:
        return ""
    return _EventRenderer().render(event, problem, people.get(event.actor_id), person).html
