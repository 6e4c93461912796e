"""What the deadline rules record and whom they tell: the people a run concerns (read
in one query), the events, and writing them with their notifications.

Shared by the sweep's rules (issues.deadlines), the recompute after a calendar edit
(issues.recompute) and the rules other apps register (keytasks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from liaison.models import Role
from liaison.templatetags.liaison_tags import person_name

from . import notifications, workflow
from .models import ProblemEvent

# A person told about more problems than this in one rule's run gets one message that
# lists them (notifications.write_for_events), not one message per problem.
GROUP_ABOVE = 3


@dataclass
class People:
    """Everyone the claimed problems concern, read in one query."""

    by_id: dict[int, object]
    heads: dict[int, list]  # department id -> its heads
    office: list
    principals: list

    @classmethod
    def load(
        cls,
        *,
        user_ids: Iterable[int] = (),
        head_department_ids: Iterable[int] = (),
        office: bool = False,
        principals: bool = False,
    ) -> People:
        user_ids = {pk for pk in user_ids if pk is not None}
        head_department_ids = {pk for pk in head_department_ids if pk is not None}
        wanted = Q(pk__in=user_ids) if user_ids else Q(pk__in=[])
        if head_department_ids:
            wanted |= Q(
                profile__role=Role.DEPARTMENT_HEAD,
                profile__department_id__in=head_department_ids,
            )
        if office:
            wanted |= Q(profile__role=Role.OFFICE)
        if principals:
            wanted |= Q(profile__role=Role.PRINCIPAL)
        users = list(
            get_user_model()
            .objects.filter(wanted, is_active=True)
            .select_related("profile")
            .order_by("pk")
        )
        people = cls(by_id={}, heads={}, office=[], principals=[])
        for user in users:
            people.by_id[user.pk] = user
            profile = getattr(user, "profile", None)
            role = profile.role if profile else None
            if role == Role.DEPARTMENT_HEAD and profile.department_id in head_department_ids:
                people.heads.setdefault(profile.department_id, []).append(user)
            elif role == Role.OFFICE and office:
                people.office.append(user)
            elif role == Role.PRINCIPAL and principals:
                people.principals.append(user)
        return people


def _unique(users: Iterable) -> list:
    seen, result = set(), []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def _name(user) -> str:
    return person_name(user)


def _record_and_notify(events_with_recipients: list[tuple[ProblemEvent, list]]) -> int:
    recipients_by_key = {
        (event.problem_id, event.dedupe_key): recipients
        for event, recipients in events_with_recipients
    }
    recorded = workflow.record_events_once([event for event, _ in events_with_recipients])
    notifications.write_for_events(
        [(event, recipients_by_key[(event.problem_id, event.dedupe_key)]) for event in recorded],
        group_above=GROUP_ABOVE,
    )
    return len(recorded)


def _notify(recorded: list, recipients_of: Callable[[object], list]) -> int:
    """Write the outbox for events recorded set-based (workflow.record_problem_events_once)."""
    notifications.write_for_events(
        [(event, recipients_of(event)) for event in recorded], group_above=GROUP_ABOVE
    )
    return len(recorded)


def _event(row: dict, kind: str, key: str, now: dt.datetime, data: dict, public=False):
    return ProblemEvent(
        problem_id=row["pk"],
        actor=None,
        kind=kind,
        is_public=public,
        data=data,
        dedupe_key=key,
        created_at=now,
    )
