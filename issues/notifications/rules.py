"""Who is told of what: each workflow event kind's recipients, which of them may read it,
and the channels (in-app, e-mail, SMS) each is told through."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from liaison.models import DEPARTMENT_ROLES, Role
from notifications import api as outbox
from notifications.api import EMAIL, IN_APP, SMS, Person

from .. import extensions
from ..models import DISTRICT_LEADER, EventKind, ExtensionRequest, Problem, ProblemEvent

# Who is told about each kind of event (DESIGN.md §8 and the lifecycle). Warnings,
# escalations and reminders come from the deadline sweep, which names its recipients.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    EventKind.SUBMITTED: ("office",),
    EventKind.DISPATCHED: ("lead_heads", "handler", "enterprise"),
    EventKind.REJECTED: ("enterprise",),
    EventKind.RETURNED: ("office",),
    EventKind.RESOLVED: ("enterprise",),
    EventKind.REOPENED: ("lead_heads", "handler", "office"),
    # The enterprise hears what the office recorded for it on the telephone.
    EventKind.EVALUATED_BY_CALLBACK: ("enterprise",),
    EventKind.EXTENSION_REQUESTED: ("office", "leader"),
    EventKind.EXTENSION_APPROVED: ("lead_heads", "requester"),
    EventKind.EXTENSION_DENIED: ("lead_heads", "requester"),
    EventKind.INSTRUCTED: ("lead_heads", "handler"),
    EventKind.HANDLER_ASSIGNED: ("handler",),
    # Coordination meetings (meetings.coordination_services): the departments called to it
    # and the enterprise; an action item's department; its convener when an item is done.
    EventKind.COORDINATION_CONVENED: ("lead_heads", "coordination_heads", "enterprise"),
    EventKind.ACTION_ITEM_ADDED: ("action_item_heads",),
    EventKind.ACTION_ITEM_DONE: ("convener",),
    # Merging (并单, issues.workflow.merging): the enterprise of a merged problem hears
    # that it is handled with a main problem, when that one is reopened, and when the merge
    # is undone (with the lead department it is back with).
    EventKind.MERGED: ("enterprise",),
    EventKind.MAIN_REOPENED: ("enterprise",),
    EventKind.UNMERGED: ("enterprise", "lead_heads"),
}
# The office sees new problems on its triage page: a bell entry is enough.
IN_APP_ONLY_KINDS = frozenset({EventKind.SUBMITTED})
# Urgent enough for a text message to the leaders they go to, if they have a phone.
SMS_KINDS = frozenset({EventKind.ESCALATED, EventKind.ESCALATION_WITHDRAWN})
SMS_ROLES = frozenset({Role.LEADER, Role.PRINCIPAL})
# The deadline sweep's kinds: the office, told of every one of them, follows them on its
# pages and in the bell; one e-mail per problem would bury its inbox.
SWEEP_KINDS = frozenset(
    {EventKind.WARNED, EventKind.ESCALATED, EventKind.REMINDED, EventKind.ESCALATION_WITHDRAWN}
)
# Kinds the enterprise's commissioner (service; issues.extensions) is also told of.
ENTERPRISE_AUDIENCE_KINDS = frozenset({EventKind.SUBMITTED, EventKind.DISPATCHED})


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
        # The problem's district leader, read by the same query (a subquery).
        wanted |= Q(pk__in=Problem.objects.filter(pk=problem.pk).values(leader=DISTRICT_LEADER))
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
    if event.kind in ENTERPRISE_AUDIENCE_KINDS:
        # The enterprise's commissioner (service), within this same query.
        for audience in extensions.enterprise_audiences():
            wanted |= audience(problem.enterprise_id)
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


def audience_of(users: list, people: dict, event) -> list[Person]:
    """Those of `users` told about `event`: each once, never its actor, and enterprise
    users only if it is public."""
    audience = []
    for user_id in dict.fromkeys(outbox.pk_of(u) for u in users):
        person = people.get(user_id)
        if person is None or user_id == event.actor_id:
            continue
        if person.is_enterprise and not event.is_public:
            continue  # enterprise users never see internal events
        audience.append(person)
    return audience


def channels_for(kind: str, person: Person) -> list[str]:
    """In-app always; e-mail to those who want it, except for the office's sweep kinds;
    SMS only for urgent kinds to leaders with a phone."""
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
