"""What issues asks of service (issues.extensions): commissioners told, visits' problems."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import FilteredRelation, Q

from issues import extensions
from issues.models import Problem
from liaison import permissions


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


def escalation_audience(problem_ids) -> dict:
    """{problem id: [its enterprise's commissioner]}, one query (one active per enterprise).

    A join, not a subquery a problem: the sweep asks this of 10,000 problems at once."""
    rows = (
        Problem.objects.filter(pk__in=problem_ids)
        .annotate(
            active_assignment=FilteredRelation(
                "enterprise__commissioner_assignments",
                condition=Q(enterprise__commissioner_assignments__active=True),
            )
        )
        .filter(active_assignment__isnull=False)
        .order_by()
        .values_list("pk", "active_assignment__commissioner_id")
    )
    return {problem_id: [user_id] for problem_id, user_id in rows}


# --- sections the apps above add to the enterprise's file (policy) ----------------------
# (enterprise, user) -> a dict with "template" (included in the file's side column, with
# the dict as `section`) and what it shows, or None to show nothing. One query at most.
FileSection = Callable[..., dict | None]
_file_sections: list[FileSection] = []


def register_file_section(section: FileSection) -> None:
    if section not in _file_sections:
        _file_sections.append(section)


def file_sections(enterprise, user) -> list[dict]:
    return [shown for section in list(_file_sections) if (shown := section(enterprise, user))]


def register() -> None:
    extensions.register_visit_registrar(may_register_visit_problem)
    extensions.register_enterprise_audience(enterprise_audience)
    extensions.register_escalation_audience(escalation_audience)
