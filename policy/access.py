"""Who may do what with common problems: small predicates, one condition per line."""

from __future__ import annotations

from liaison import permissions


def can_see_common_problems(user) -> bool:
    """The office, the leaders and departments (theirs: policy.selectors.visible_to)."""
    return (
        permissions.is_office(user)
        or permissions.is_leader(user)
        or permissions.is_department_user(user)
    )


def can_manage_common_problems(user) -> bool:
    """The office creates, edits, links, publishes."""
    return permissions.is_office(user)


def can_work_on(user, common_problem) -> bool:
    """The office, and the lead department, add measures and milestones."""
    if permissions.is_office(user):
        return True
    return permissions.department_id_of(user) == common_problem.lead_department_id


def can_cosign(user) -> bool:
    return permissions.is_enterprise_user(user)
