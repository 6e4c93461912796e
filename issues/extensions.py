"""What higher apps add to the problem's workflow and pages, registered in their
AppConfig.ready: meetings' hooks, and listeners told of every event recorded (api).

issues sits below meetings (DESIGN.md §2) and imports nothing from it. A problem may be
raised for a face-to-face meeting, and coordination meetings act on problems: meetings
registers here, in its AppConfig.ready, what the workflow and the pages need to ask it
(meetings.hooks), as keytasks registers its deadline rule with issues.deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class MeetingHooks:
    # The workflow (issues.workflow).
    # (actor, enterprise, meeting): raises TransitionError unless a problem may be raised
    # for the meeting.
    check_submit: Callable[..., None]
    # (problem, now) -> (waits for its meeting, when its clock starts), the meeting locked.
    clock: Callable[..., tuple]
    # (meeting_id) -> the meeting's start if it is held, else None.
    held_start: Callable[..., object]
    # The pages (issues.selectors, issues.views).
    # (enterprise=None) -> the meetings a problem may be raised for.
    open_for_submission: Callable[..., list]
    # (user=, problem=) -> the problem's coordination meetings and action items.
    problem_coordination: Callable[..., object]
    # (department_id, user=) -> the department's action items not yet done.
    department_open_items: Callable[..., list]
    # (department_id) -> a Q over Problem: the problems the department holds an action
    # item of a coordination meeting for (visible_to lets it open them).
    action_item_problems: Callable[..., object] | None = None
    # () -> annotations for the query loading a problem for its page (name -> Exists):
    # what problem_coordination may then skip reading.
    coordination_annotations: Callable[[], dict] | None = None


_meetings: MeetingHooks | None = None


def register_meetings(hooks: MeetingHooks) -> None:
    global _meetings
    _meetings = hooks


def meetings() -> MeetingHooks:
    if _meetings is None:
        raise ImproperlyConfigured("the meetings app has not registered its hooks with issues")
    return _meetings


# --- events recorded -------------------------------------------------------------------
# Called by every path that writes timeline events (workflow.record_event,
# workflow.record_events_once: the transitions, the deadline sweep, the meeting's clock
# start), inside the transaction that wrote them, with the saved events: what a listener
# writes commits or rolls back with them. api registers the webhooks' outbox here.
# A listener must write in a fixed number of queries whatever the number of events
# (the sweep passes thousands at once) and must not raise for anything but a database
# error: its failure rolls the transition back.

EventsListener = Callable[[list], None]
_events_listeners: list[EventsListener] = []


def register_events_listener(listener: EventsListener) -> None:
    if listener not in _events_listeners:
        _events_listeners.append(listener)


def unregister_events_listener(listener: EventsListener) -> None:
    if listener in _events_listeners:
        _events_listeners.remove(listener)


def events_recorded(events: list) -> None:
    """Hand saved events to the listeners, inside the transaction that wrote them."""
    if not events:
        return
    for listener in list(_events_listeners):
        listener(events)


# --- the service side (service app) ----------------------------------------------------
# Commissioners (助企专员) are told of their enterprises' problems, and an official may
# raise a problem from a visit on the enterprise's behalf. service registers these.

# (actor, enterprise) -> whether `actor` may register a problem collected at a visit.
VisitRegistrar = Callable[..., bool]
_visit_registrars: list[VisitRegistrar] = []


def register_visit_registrar(check: VisitRegistrar) -> None:
    if check not in _visit_registrars:
        _visit_registrars.append(check)


def may_register_visit_problem(actor, enterprise) -> bool:
    return any(check(actor, enterprise) for check in _visit_registrars)


# (enterprise_id) -> a Q over users added to the one query that finds who is told of a
# workflow event (issues.notifications.recipients_for): no query of its own.
AudienceQ = Callable[[int], object]
_enterprise_audiences: list[AudienceQ] = []
# (problem ids) -> {problem id: [user ids]}: those also told of an escalation by the
# deadline sweep, for any number of problems in one query. The ids are a list, or an
# expression selecting them (the sweep's: one parameter), for `pk__in`.
EscalationAudience = Callable[[list], dict]
_escalation_audiences: list[EscalationAudience] = []


def register_enterprise_audience(audience: AudienceQ) -> None:
    if audience not in _enterprise_audiences:
        _enterprise_audiences.append(audience)


def enterprise_audiences() -> list[AudienceQ]:
    return list(_enterprise_audiences)


def register_escalation_audience(audience: EscalationAudience) -> None:
    if audience not in _escalation_audiences:
        _escalation_audiences.append(audience)


def escalation_audience(problem_ids: list) -> dict:
    told: dict = {}
    for audience in list(_escalation_audiences):
        for problem_id, user_ids in audience(problem_ids).items():
            told.setdefault(problem_id, []).extend(user_ids)
    return told
