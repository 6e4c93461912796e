"""Template helpers for problems: the deadline marker, the list of problem cards, the
problem page's timeline and status badges.

The deadline marker, the cards and the timeline are written in Python, character for
character as their templates write them (issues/includes/deadline.html, and the loops
that were in issues/includes/problem_rows.html and issues/problem_detail.html;
tests/issues/test_list_rendering.py compares them in both languages): a list page has
25 cards, and as templates (an inclusion tag, a `{% url %}`, a blocktranslate a row)
they were a third of a list page's time; a problem page's 21 events took 5.3 of its
12.4 ms of template, 1.5 ms so (issue 18).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import join as join_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

from liaison import formats, workdays
from liaison.forms_rendering import template_value as _value
from liaison.templatetags.liaison_tags import person_name

from .. import metrics
from ..models import OPEN_STATUSES, AppealType, EventKind, Status

register = template.Library()

STATUS_CLASSES = {
    Status.SUBMITTED: "text-bg-secondary",
    Status.DISPATCHED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.RESOLVED: "text-bg-success",
    Status.CLOSED: "text-bg-dark",
    Status.REJECTED: "text-bg-light border",
}


@dataclass(frozen=True)
class DeadlineState:
    """How a problem stands against its deadline, for display."""

    due_at: dt.datetime | None
    is_open: bool
    overdue: bool
    warning: bool
    days_left: int  # working days after today up to the due day; 0 on the due day
    days_overdue: int
    provisional: bool
    on_time: bool | None  # for concluded problems: answered by the deadline in force then
    # Dispatched early for a face-to-face meeting not yet held: the clock starts that day.
    meeting_date: dt.date | None = None


def deadline_state(problem, now: dt.datetime | None = None) -> DeadlineState:
    now = now or timezone.now()
    due_at = problem.due_at
    # A problem returned to the office keeps its running clock: it can be overdue too.
    is_open = problem.status in OPEN_STATUSES or (
        problem.status == Status.SUBMITTED and due_at is not None
    )
    if due_at is None:
        meeting_date = None
        if problem.status == Status.DISPATCHED and problem.meeting_id is not None:
            # No query here: the lists read the meeting's start with the problem
            # (selectors.with_list_relations), the problem page the meeting itself.
            if hasattr(problem, "meeting_starts_at"):
                meeting_date = timezone.localtime(problem.meeting_starts_at).date()
            else:
                meeting_date = problem.meeting.local_date
        return DeadlineState(None, is_open, False, False, 0, 0, False, None, meeting_date)
    today, due_day = workdays.local_date(now), workdays.local_date(due_at)
    overdue = is_open and now > due_at
    days_left = days_overdue = 0
    if is_open and not overdue:
        days_left = max(workdays.working_days_between(today, due_day).value, 0)
    if overdue:
        days_overdue = max(workdays.working_days_between(due_day, today).value, 0)
    warning = is_open and not overdue and problem.warn_at is not None and now >= problem.warn_at
    on_time = metrics.answered_on_time(problem)
    return DeadlineState(
        due_at=due_at,
        is_open=is_open,
        overdue=overdue,
        warning=warning,
        days_left=days_left,
        days_overdue=days_overdue,
        provisional=problem.deadline_provisional,
        on_time=on_time,
    )


def deadline_html(state: DeadlineState, compact: bool = False) -> str:
    """issues/includes/deadline.html for `state`, as the template writes it."""
    if state.due_at:
        html = '<span class="liaison-deadline">\n'
        if not compact:
            html += (
                '<time class="text-nowrap" datetime="'
                + _value(date_filter(template_localtime(state.due_at), "c"))
                + '">'
                + _value(formats.deadline_date(state.due_at))
                + "</time>"
            )
        html += "\n"
        if state.is_open:
            if state.overdue:
                if state.days_overdue:
                    text = ngettext(
                        "overdue by %(n)s working day",
                        "overdue by %(n)s working days",
                        state.days_overdue,
                    ) % {"n": _value(state.days_overdue)}
                else:
                    text = gettext("overdue")
                badge = '<span class="badge text-bg-danger">' + text + "</span>"
            elif state.days_left == 0:
                badge = '<span class="badge text-bg-warning">' + gettext("due today") + "</span>"
            else:
                colour = "text-bg-warning" if state.warning else "text-bg-success"
                text = ngettext(
                    "%(n)s working day left", "%(n)s working days left", state.days_left
                ) % {"n": _value(state.days_left)}
                badge = '<span class="badge ' + colour + '">' + text + "</span>"
            html += "\n  \n    " + badge + "\n  \n"
        elif state.on_time is not None:
            if state.on_time:
                badge = (
                    '<span class="badge text-bg-light border">'
                    + gettext("answered on time")
                    + "</span>"
                )
            else:
                badge = (
                    '<span class="badge text-bg-light border text-danger">'
                    + gettext("answered late")
                    + "</span>"
                )
            html += "\n  " + badge + "\n"
        html += "\n"
        if state.provisional:
            html += (
                '<span class="badge text-bg-light border" title="'
                + gettext(
                    "The holiday schedule of that year is not confirmed yet; the deadline may move."
                )
                + '">'
                + gettext("provisional")
                + "</span>"
            )
        html += "\n</span>"
    elif state.meeting_date:
        html = (
            '<span class="liaison-deadline badge text-bg-light border text-wrap" '
            "data-clock-waits>"
            + gettext("clock starts at the meeting on %(date)s")
            % {"date": _value(date_filter(state.meeting_date))}
            + "</span>"
        )
    else:
        html = '<span class="text-body-secondary">—</span>'
    return mark_safe(html + "\n")


@register.simple_tag(takes_context=True)
def deadline(context, problem, compact=False):
    """The deadline marker (issues/includes/deadline.html, written by deadline_html)."""
    return deadline_html(deadline_state(problem, context.get("now")), compact)


# A reference a URL carries as it is (reverse() would quote nothing in it).
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9_.-]+")
_MARK = "REFERENCE"


def _around(name: str) -> tuple[str, str]:
    """What the URL `name` of a problem puts before and after its reference."""
    return reverse(name, args=[_MARK]).partition(_MARK)[::2]


def _detail_url(reference: str, around: tuple[str, str], name: str = "issues:detail") -> str:
    """The URL `name` of the problem `reference`, `around` being _around(name)."""
    if _PLAIN_REFERENCE.fullmatch(reference):
        return around[0] + reference + around[1]
    return reverse(name, args=[reference])


@register.simple_tag(takes_context=True)
def problem_cards(context, problems, hide_enterprise=False):
    """The problems as cards, each a link to its page (the loop of
    issues/includes/problem_rows.html): reference, status, escalation, title, who and
    what, the deadline marker."""
    now = context.get("now")
    # One reverse() for the list: each card's link is this one with its own reference.
    around = _around("issues:detail")
    lead = gettext("Lead")
    parts = []
    for problem in problems:
        parts.append(
            '\n  <a class="list-group-item list-group-item-action py-3" href="'
            + conditional_escape(_detail_url(problem.reference, around))
            + '">\n    <div class="d-flex flex-wrap justify-content-between align-items-start'
            ' gap-2">\n      <div class="me-auto">'
            '\n        <span class="text-body-secondary small font-monospace">'
            + _value(problem.reference)
            + '</span>\n        <span class="badge '
            + _value(status_class(problem.status))
            + ' ms-1">'
            + _value(problem.get_status_display())
            + "</span>\n        "
        )
        if problem.escalation_level and not hide_enterprise:
            parts.append(
                '<span class="badge text-bg-danger">'
                + gettext("Escalated (level %(level)s)")
                % {"level": _value(problem.escalation_level)}
                + "</span>"
            )
        parts.append(
            '\n        <div class="fw-semibold mt-1">'
            + _value(problem.title)
            + '</div>\n        <div class="small text-body-secondary">\n          '
        )
        if not hide_enterprise:
            parts.append(_value(problem.enterprise.name) + " · ")
        parts.append(_value(problem.category))
        department = problem.lead_department
        if department:
            parts.append(" · " + lead + ": " + _value(department.short_name or department.name))
        parts.append(
            '\n        </div>\n      </div>\n      <div class="text-md-end small">'
            + deadline_html(deadline_state(problem, now))
            + "</div>\n    </div>\n  </a>\n  "
        )
    return mark_safe("".join(parts))


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def reference_nowrap(reference: str) -> str:
    """A reference (2026-00002) that a phone does not cut at its hyphen, inside a sentence."""
    return format_html('<span class="text-nowrap">{}</span>', reference)


@register.filter
def yuan(amount) -> str:
    """An amount of yuan as read in the active language (issues.relief.money)."""
    from ..relief.money import format_yuan

    return format_yuan(amount)


@register.filter
def appeal_type_label(value: str) -> str:
    """The translated name of an appeal type stored as its value (timeline events' data)."""
    try:
        return AppealType(value).label
    except ValueError:
        return value or "—"


# --- the problem page's timeline ----------------------------------------------------------

_SATISFACTION = {"satisfied": "Satisfied", "basically": "Basically satisfied"}
_EVALUATIONS = (EventKind.EVALUATED, EventKind.REOPENED, EventKind.EVALUATED_BY_CALLBACK)
_TOLD = (EventKind.WARNED, EventKind.ESCALATION_WITHDRAWN)
_EXTENSIONS = (EventKind.EXTENSION_REQUESTED, EventKind.EXTENSION_APPROVED)


def _listed(names) -> str:
    """{{ names|join:"、" }} (Django's filter: each name escaped, the whole safe)."""
    return join_filter(names, "、")


def _translated(translation: str, **values) -> str:
    """A blocktranslate: its translation with `values` (escaped unless safe, as {{ }}
    writes them). The message is written gettext("...") at each call, for makemessages."""
    return translation % {key: _value(value) for key, value in values.items()}


def _event_html(event, show_internal: bool, labels: dict) -> str:
    """One event of the timeline: its <li>, as the loop in problem_detail.html wrote it."""
    data = event.data or {}

    def get(key):  # {{ event.data.key }}: "" when missing
        return data.get(key, "") if isinstance(data, dict) else ""

    kind, public = event.kind, event.is_public
    created_at = template_localtime(event.created_at)
    parts = [
        '\n        <li class="list-group-item',
        "" if public else " liaison-internal",
        '">\n          <div class="d-flex flex-wrap justify-content-between gap-2">'
        '\n            <span class="fw-semibold">',
        _value(event.get_kind_display()),
        "" if public else labels["internal badge"],
        '</span>\n            <time class="small text-body-secondary" datetime="',
        _value(date_filter(created_at, "c")),
        '">',
        _value(date_filter(created_at, "DATETIME_FORMAT")),
        '</time>\n          </div>\n          <div class="small text-body-secondary">',
    ]
    actor = event.actor
    if not actor:
        parts.append(labels["System"])
    elif show_internal:
        parts.append(_value(person_name(actor)))
    else:
        profile = getattr(actor, "profile", None)
        if profile is not None and profile.department_id:
            parts.append(labels["Department"])
        elif profile is not None and profile.enterprise_id:
            parts.append(labels["Your enterprise"])
        else:
            parts.append(labels["Liaison office"])
    parts.append("</div>\n          ")
    if event.text and kind != EventKind.SUBMITTED:
        parts.append('<p class="mb-0 mt-1 liaison-pre">' + _value(event.text) + "</p>")
    parts.append("\n          ")
    if show_internal and get("internal_note"):
        parts.append(
            '<p class="mb-0 mt-1 liaison-pre">'
            + labels["internal badge"].lstrip()
            + " "
            + _value(get("internal_note"))
            + "</p>"
        )
    parts.append("\n          ")
    if kind == EventKind.APPEAL_TYPE_CHANGED:
        old, new = appeal_type_label(get("from")), appeal_type_label(get("to"))
        parts.append(
            '<div class="small">'
            + _translated(gettext("From “%(old)s” to “%(new)s”"), old=old, new=new)
            + "</div>"
        )
    parts.append("\n          ")
    if kind == EventKind.DISPATCHED and get("lead_department_name"):
        name = get("lead_department_name")
        parts.append(
            '<div class="small">' + _translated(gettext("To %(name)s"), name=name) + "</div>"
        )
    parts.append("\n          ")
    if get("starts_at"):
        starts_at = template_localtime(formats.from_iso(get("starts_at")))
        parts.append(
            '<div class="small">' + _value(date_filter(starts_at, "DATETIME_FORMAT")) + "</div>"
        )
    parts.append("\n          ")
    if get("item_due_date"):
        date = formats.deadline_date(get("item_due_date"))
        parts.append(
            '<div class="small">' + _translated(gettext("Due %(date)s"), date=date) + "</div>"
        )
    parts.append("\n          ")
    if get("due_date"):
        date = formats.deadline_date(get("due_date"))
        parts.append(
            '<div class="small">'
            + _translated(gettext("New deadline: %(date)s"), date=date)
            + "</div>"
        )
    parts.append("\n          ")
    if kind in _EVALUATIONS and get("satisfaction"):
        label = _SATISFACTION.get(get("satisfaction"), "Unsatisfied")
        parts.append('<div class="small">' + labels[label] + "</div>")
    parts.append("\n          ")
    if kind == EventKind.ESCALATED:
        level, recipients = get("level"), get("recipients")
        if recipients:
            line = _translated(
                gettext("Level %(level)s, to %(names)s"),
                level=level,
                names=_listed(recipients),
            )
        else:
            line = _translated(
                gettext("Level %(level)s; no district leader is set, the office was told"),
                level=level,
            )
        if get("told"):
            line += "<br>" + _translated(
                gettext("Also told: %(names)s"), names=_listed(get("told"))
            )
        parts.append('<div class="small">' + line + "</div>")
    parts.append("\n          ")
    if kind in _TOLD and get("recipients"):
        names = _listed(get("recipients"))
        parts.append(
            '<div class="small">' + _translated(gettext("Told: %(names)s"), names=names) + "</div>"
        )
    parts.append("\n          ")
    if kind in _EXTENSIONS:
        days = get("days")
        text = ngettext("%(n)s working day", "%(n)s working days", days) % {"n": _value(days)}
        parts.append('<div class="small">' + text + "</div>")
    parts.append("\n        </li>\n        ")
    return "".join(parts)


@register.simple_tag
def problem_timeline(events, show_internal=False):
    """The problem page's timeline: each event an <li> (the loop that was in
    issues/problem_detail.html, written in Python as the problem cards are: a busy
    problem's page has dozens of events, each a dozen template conditions)."""
    labels = {
        label: conditional_escape(translation)
        for label, translation in (
            ("System", gettext("System")),
            ("Department", gettext("Department")),
            ("Your enterprise", gettext("Your enterprise")),
            ("Liaison office", gettext("Liaison office")),
            ("Satisfied", gettext("Satisfied")),
            ("Basically satisfied", gettext("Basically satisfied")),
            ("Unsatisfied", gettext("Unsatisfied")),
        )
    }
    labels["internal badge"] = (
        ' <span class="badge text-bg-secondary">'
        + conditional_escape(gettext("internal"))
        + "</span>"
    )
    return mark_safe("".join(_event_html(event, show_internal, labels) for event in events))


@register.simple_tag
def duplicate_items(duplicates):
    """Triage's possible duplicates: for each (problem, matches) of `duplicates`, an <li>
    per match with its link to merge (the loop that was in issues/triage.html, written
    in Python as the problem cards are: a page of 25 problems alike has 125 of them, and
    the loop cost as much as the rest of the page)."""
    detail, merge = _around("issues:detail"), _around("issues:merge")
    same_as = conditional_escape(gettext("may be the same as"))
    merge_into = conditional_escape(gettext("Merge into it"))
    alike = gettext("%(p)s%% alike")
    parts = []
    for problem, matches in duplicates:
        reference = _value(problem.reference)
        problem_url = conditional_escape(_detail_url(problem.reference, detail))
        merge_url = conditional_escape(_detail_url(problem.reference, merge, "issues:merge"))
        about = (
            '\n    <li class="list-group-item d-flex flex-wrap align-items-center gap-2">'
            '\n      <span class="me-auto"><a class="font-monospace" href="'
            + problem_url
            + '">'
            + reference
            + "</a> "
            + _value(problem.title)
            + ' <span class="small text-body-secondary">('
            + _value(problem.enterprise.name)
            + ")</span><br>\n        "
            + '<span class="small">'
            + same_as
            + ' <a class="font-monospace" href="'
        )
        for match in matches:
            other = match.problem
            other_reference = _value(other.reference)
            parts.append(
                about
                + conditional_escape(_detail_url(other.reference, detail))
                + '">'
                + other_reference
                + "</a> "
                + _value(other.title)
                + ' <span class="text-body-secondary">· '
                + _value(other.enterprise.name)
                + " · "
                + _translated(alike, p=match.percent)
                + "</span></span></span>"
                + '\n      <a class="btn btn-sm btn-outline-primary" data-merge="'
                + reference
                + '" data-merge-into="'
                + other_reference
                + '" href="'
                + merge_url
                + "?into="
                + other_reference
                + '">'
                + merge_into
                + "</a>\n    </li>\n    "
            )
    return mark_safe("".join(parts))
