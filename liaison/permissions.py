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


def can_import_records(user) -> bool:
    """The admin's import from Excel: organisations, people and past meetings, by the office."""
    return can_use_admin(user) and can_manage_organisations(user)


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


def can_see_every_contact_phone(user) -> bool:
    """Enterprises' contact phones in full: the office (it calls them) and the leaders.

    The enterprise's own users see their own; a department those of the enterprises whose
    open problems it leads or helps with (issues.selectors.contact_phones_for); others
    see them masked (138****0001).
    """
    if is_office(user):
        return True
    return is_leader(user)


def can_see_enterprise(user, enterprise) -> bool:
    if can_see_all_departments(user):
        return True
    if is_enterprise_user(user):
        return user.profile.enterprise_id == enterprise.pk
    return is_department_user(user)


# --- problems (issues app) ---------------------------------------------------------------


def department_id_of(user) -> int | None:
    if not is_department_user(user):
        return None
    return user.profile.department_id


def enterprise_id_of(user) -> int | None:
    if not is_enterprise_user(user):
        return None
    return user.profile.enterprise_id


def can_submit_problem_for(user, enterprise) -> bool:
    if is_office(user):
        return True
    return enterprise_id_of(user) == enterprise.pk


def can_register_on_behalf(user) -> bool:
    return is_office(user)


def can_dispatch(user) -> bool:
    return is_office(user)


def can_merge(user) -> bool:
    """Merge shared problems (并单) and undo a merge: the liaison office."""
    return is_office(user)


def can_act_as_lead(user, problem) -> bool:
    """Acknowledge, return, request an extension, answer: the lead department only."""
    department_id = department_id_of(user)
    if department_id is None:
        return False
    return problem.lead_department_id == department_id


def can_add_progress(user, problem) -> bool:
    if can_act_as_lead(user, problem):
        return True
    department_id = department_id_of(user)
    if department_id is None:
        return False
    # .all() uses a prefetch when the page made one; otherwise one small query.
    return any(d.pk == department_id for d in problem.co_departments.all())


def can_assign_handler(user, problem) -> bool:
    if not is_department_head(user):
        return False
    return problem.lead_department_id == user.profile.department_id


def can_decide_extension(user) -> bool:
    return is_office(user) or is_leader(user)


def can_evaluate(user, problem) -> bool:
    enterprise_id = enterprise_id_of(user)
    if enterprise_id is None:
        return False
    return problem.enterprise_id == enterprise_id


def can_instruct(user) -> bool:
    return is_leader(user)


def can_see_internal_events(user) -> bool:
    """Internal notes, returns and instructions are never shown to enterprise users."""
    return role_of(user) is not None and not is_enterprise_user(user)


def can_print_dispatch_sheet(user) -> bool:
    """The dispatch sheet (交办单) is the office's order to the departments: officials only."""
    return can_see_internal_events(user)


def can_attach(user, problem) -> bool:
    if problem.status in ("closed", "rejected"):
        return False
    if is_office(user):
        return True
    if can_evaluate(user, problem):
        return True
    return can_add_progress(user, problem)


# --- face-to-face meetings (meetings app) ------------------------------------------------


def can_manage_meetings(user) -> bool:
    """Create, edit, invite, mark held and close face-to-face meetings."""
    return is_office(user)


def can_see_handling_list(user) -> bool:
    """The handling list names every enterprise and internal responsibility: officials only."""
    return role_of(user) is not None and not is_enterprise_user(user)


def can_answer_on_site(user, problem) -> bool:
    """Record an answer given at the meeting: the office keeps the record, or the lead."""
    if is_office(user):
        return True
    return can_act_as_lead(user, problem)


# --- leaders' dashboard (dashboard.figures) --------------------------------------------


def can_view_dashboard(user) -> bool:
    """The office and the leaders see the district; a department head their department."""
    if can_see_all_departments(user):
        return True
    return is_department_head(user)


# --- key tasks (keytasks app) ------------------------------------------------------------


def can_see_key_tasks(user) -> bool:
    """The office and the leaders see every key task; a department the tasks it works on."""
    if can_see_all_departments(user):
        return True
    return is_department_user(user)


def can_create_key_task(user) -> bool:
    return is_office(user)


def can_manage_key_task(user, task) -> bool:
    """Add and tick milestones, link problems and meetings, mark done: the office or its leader."""
    if is_office(user):
        return True
    if not is_leader(user):
        return False
    return task.leader_id == user.pk


def can_report_key_task_progress(user, task) -> bool:
    """The task's lead and supporting departments report progress; nobody else."""
    department_id = department_id_of(user)
    if department_id is None:
        return False
    if task.lead_department_id == department_id:
        return True
    # .all() uses a prefetch when the page made one; otherwise one small query.
    return any(d.pk == department_id for d in task.supporting_departments.all())
