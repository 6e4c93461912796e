"""Who may do what: small `can_*` functions, one condition per line.

Later issues extend this module; views and services ask it, never the role directly.
"""

from __future__ import annotations

from .models import DEPARTMENT_ROLES, LEADER_ROLES, Role


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.role
    if user.is_superuser:
        return Role.ADMIN
    return None


def is_enterprise_user(user) -> bool:
    return role_of(user) == Role.ENTERPRISE


def is_department_user(user) -> bool:
    return role_of(user) in DEPARTMENT_ROLES


def is_department_head(user) -> bool:
    return role_of(user) == Role.DEPARTMENT_HEAD


def is_office(user) -> bool:
    return role_of(user) in (Role.OFFICE, Role.ADMIN)


def is_leader(user) -> bool:
    return role_of(user) in LEADER_ROLES


def can_use_admin(user) -> bool:
    return bool(user.is_active and user.is_staff and role_of(user) in (Role.OFFICE, Role.ADMIN))


def can_manage_calendar(user) -> bool:
    return is_office(user)


def can_manage_organisations(user) -> bool:
    return is_office(user)


def can_see_all_departments(user) -> bool:
    return is_office(user) or is_leader(user)


def can_see_department(user, department) -> bool:
    if can_see_all_departments(user):
        return True
    if is_department_user(user):
        return user.profile.department_id == department.pk
    return False


def can_see_head_phone(user) -> bool:
    """Heads' phone numbers are published to enterprises and officials, not to strangers."""
    return role_of(user) is not None


def can_see_enterprise(user, enterprise) -> bool:
    if can_see_all_departments(user):
        return True
    if is_enterprise_user(user):
        return user.profile.enterprise_id == enterprise.pk
    return is_department_user(user)
