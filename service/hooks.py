"""What issues asks of service (issues.extensions): commissioners told, visits' problems."""

from __future__ import annotations

from django.db.models import Q

from issues import extensions
from liaison import permissions

from .models import CommissionerAssignment


def may_register_visit_problem(actor, enterprise) -> bool:
    """The office, or an official who may record visits to this enterprise."""
    return permissions.is_office(actor) or can_record_visits(actor)


def can_record_visits(user) -> bool:
    """Officials record visits: the office, leaders, departments, and commissioners."""
    return (
        permissions.is_office(user)
        or permissions.is_leader(user)
        or (permissions.is_department_user(user))
    )


def enterprise_audience(enterprise_id: int) -> Q:
    return Q(service_assignments__enterprise_id=enterprise_id, service_assignments__active=True)


def escalation_audience(problem_ids: list) -> dict:
    rows = CommissionerAssignment.objects.filter(
        active=True, enterprise__problems__in=problem_ids
    ).values_list("enterprise__problems", "commissioner_id")
    told: dict = {}
    for problem_id, user_id in rows:
        told.setdefault(problem_id, []).append(user_id)
    return told


def register() -> None:
    extensions.register_visit_registrar(may_register_visit_problem)
    extensions.register_enterprise_audience(enterprise_audience)
    extensions.register_escalation_audience(escalation_audience)
