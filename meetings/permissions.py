"""Who may do what with coordination meetings and action items: one condition per line."""

from __future__ import annotations

from liaison import permissions
from liaison.models import Role


def can_convene_coordination(user) -> bool:
    """District leaders and principal leaders convene coordination meetings (DESIGN.md §3)."""
    return permissions.is_leader(user)


def can_see_coordination_meetings(user) -> bool:
    """Whether the user has a coordination-meetings list at all (enterprises do not)."""
    if permissions.is_office(user):
        return True
    if permissions.is_leader(user):
        return True
    return permissions.is_department_user(user)


def can_manage_coordination(user, meeting) -> bool:
    """Edit, mark held and add action items: the convening leader or the liaison office."""
    if permissions.is_office(user):
        return True
    if not permissions.is_leader(user):
        return False
    return meeting.convened_by_id == user.pk


def can_complete_action_item(user, item, meeting) -> bool:
    """Tick an item off: its department (head or staff), the convening leader, the office."""
    if can_manage_coordination(user, meeting):
        return True
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return False
    return item.department_id == department_id


def can_request_consultation(user, problem) -> bool:
    """Ask the problem's leader for a coordination meeting (会商): its lead department."""
    department_id = permissions.department_id_of(user)
    return department_id is not None and problem.lead_department_id == department_id


def can_decide_consultation(user, consultation) -> bool:
    """Accept or decline: the leader asked, or a principal leader."""
    if permissions.role_of(user) == Role.PRINCIPAL:
        return True
    return permissions.is_leader(user) and consultation.leader_id == user.pk
