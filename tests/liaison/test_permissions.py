"""Every access function of liaison.permissions against every persona, as tables."""

import inspect

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from liaison import permissions
from liaison.models import Department, Enterprise, Role
from liaison.services import profile_set_role

User = get_user_model()

pytestmark = pytest.mark.django_db

# One persona per role, plus the edge cases: a user without a profile, an anonymous
# visitor, and a superuser created with createsuperuser (no profile yet).
PERSONAS = (
    "enterprise",
    "department_staff",
    "department_head",
    "office",
    "leader",
    "principal",
    "admin",
    "no_profile",
    "anonymous",
    "superuser",
)
OFFICE_LIKE = {"office", "admin", "superuser"}
LEADERS = {"leader", "principal"}
DEPARTMENT = {"department_staff", "department_head"}
WITH_A_ROLE = set(PERSONAS) - {"no_profile", "anonymous"}


@pytest.fixture
def world():
    own_department = Department.objects.create(name="区人社局", short_name="人社局")
    other_department = Department.objects.create(name="区住建局", short_name="住建局")
    own_enterprise = Enterprise.objects.create(name="嘉禾涂装", credit_code="91350100M000100Y43")
    other_enterprise = Enterprise.objects.create(name="腾飞电子", credit_code="91440300708461136T")
    organisation = {
        Role.ENTERPRISE: {"enterprise": own_enterprise},
        Role.DEPARTMENT_STAFF: {"department": own_department},
        Role.DEPARTMENT_HEAD: {"department": own_department},
    }
    users = {}
    for role in Role:
        user = User.objects.create_user(role.value)
        profile_set_role(user=user, role=role, **organisation.get(role, {}))
        users[role.value] = User.objects.select_related("profile").get(pk=user.pk)
    users["no_profile"] = User.objects.create_user("no_profile")
    users["anonymous"] = AnonymousUser()
    users["superuser"] = User.objects.create_superuser("root", email="root@example.com")
    return {
        "users": users,
        "own_department": own_department,
        "other_department": other_department,
        "own_enterprise": own_enterprise,
        "other_enterprise": other_enterprise,
    }


# Functions of the user alone: the personas for whom each is true.
USER_TABLE = {
    "is_enterprise_user": {"enterprise"},
    "is_department_user": DEPARTMENT,
    "is_department_head": {"department_head"},
    "is_office": OFFICE_LIKE,
    "is_leader": LEADERS,
    "can_use_admin": OFFICE_LIKE,
    "can_manage_calendar": OFFICE_LIKE,
    "can_manage_organisations": OFFICE_LIKE,
    "can_import_records": OFFICE_LIKE,
    "can_see_all_departments": OFFICE_LIKE | LEADERS,
    "can_see_head_phone": WITH_A_ROLE,
    "can_see_every_contact_phone": OFFICE_LIKE | LEADERS,
    "can_register_on_behalf": OFFICE_LIKE,
    "can_dispatch": OFFICE_LIKE,
    "can_merge": OFFICE_LIKE,
    "can_decide_extension": OFFICE_LIKE | LEADERS,
    "can_instruct": LEADERS,
    "can_see_internal_events": WITH_A_ROLE - {"enterprise"},
    "can_print_dispatch_sheet": WITH_A_ROLE - {"enterprise"},
    "can_manage_meetings": OFFICE_LIKE,
    "can_see_handling_list": WITH_A_ROLE - {"enterprise"},
    "can_view_dashboard": OFFICE_LIKE | LEADERS | {"department_head"},
    "can_see_key_tasks": OFFICE_LIKE | LEADERS | DEPARTMENT,
    "can_create_key_task": OFFICE_LIKE,
}

# Functions of the user and an organisation: (function, which organisation) -> personas.
ORGANISATION_TABLE = {
    ("can_see_department", "own_department"): OFFICE_LIKE | LEADERS | DEPARTMENT,
    ("can_see_department", "other_department"): OFFICE_LIKE | LEADERS,
    ("can_see_enterprise", "own_enterprise"): OFFICE_LIKE | LEADERS | DEPARTMENT | {"enterprise"},
    ("can_see_enterprise", "other_enterprise"): OFFICE_LIKE | LEADERS | DEPARTMENT,
    ("can_submit_problem_for", "own_enterprise"): OFFICE_LIKE | {"enterprise"},
    ("can_submit_problem_for", "other_enterprise"): OFFICE_LIKE,
}


@pytest.mark.parametrize("name", USER_TABLE)
def test_user_function_for_every_persona(world, name):
    check = getattr(permissions, name)

    allowed = {persona for persona in PERSONAS if check(world["users"][persona])}

    assert allowed == USER_TABLE[name]


@pytest.mark.parametrize(("name", "organisation"), ORGANISATION_TABLE)
def test_organisation_function_for_every_persona(world, name, organisation):
    check = getattr(permissions, name)

    allowed = {
        persona for persona in PERSONAS if check(world["users"][persona], world[organisation])
    }

    assert allowed == ORGANISATION_TABLE[(name, organisation)]


def test_role_of_every_persona(world):
    roles = {persona: permissions.role_of(world["users"][persona]) for persona in PERSONAS}

    assert roles == {
        **{role.value: role.value for role in Role},
        "no_profile": None,
        "anonymous": None,
        "superuser": Role.ADMIN,
    }


def test_every_access_function_of_a_user_is_in_the_table():
    # A new can_*/is_* function of the user alone must get a row above.
    functions = {
        name
        for name, function in inspect.getmembers(permissions, inspect.isfunction)
        if name.startswith(("can_", "is_"))
        and function.__module__ == permissions.__name__
        and list(inspect.signature(function).parameters) == ["user"]
    }

    assert functions == set(USER_TABLE)


def test_admin_needs_an_active_staff_user_with_an_office_role(world):
    office = world["users"]["office"]
    enterprise_user = world["users"]["enterprise"]

    office.is_active = False
    enterprise_user.is_staff = True  # set by hand, bypassing profile_set_role

    assert not permissions.can_use_admin(office)
    assert not permissions.can_use_admin(enterprise_user)


# Key-task functions: the personas for whom each is true, for a task the "leader" persona
# leads ("own"; "other_leaders": the principal leads it), whose lead department is the
# department personas' own ("lead"), or which their department only supports
# ("supporting") or has nothing to do with ("other").
KEY_TASK_TABLE = {
    ("can_manage_key_task", "own"): OFFICE_LIKE | {"leader"},
    ("can_manage_key_task", "other_leaders"): OFFICE_LIKE | {"principal"},
    ("can_report_key_task_progress", "lead"): DEPARTMENT,
    ("can_report_key_task_progress", "supporting"): DEPARTMENT,
    ("can_report_key_task_progress", "other"): set(),
}


@pytest.mark.parametrize(("name", "case"), KEY_TASK_TABLE)
def test_key_task_function_for_every_persona(world, name, case):
    from keytasks.models import KeyTask

    users = world["users"]
    own, other = world["own_department"], world["other_department"]
    leader = users["principal"] if case == "other_leaders" else users["leader"]
    task = KeyTask.objects.create(
        year=2025,
        number=1,
        title="喷水织机整治",
        target="全部淘汰",
        leader=leader,
        lead_department=own if case in ("own", "lead") else other,
    )
    if case == "supporting":
        task.supporting_departments.add(own)
    function = getattr(permissions, name)

    allowed = {persona for persona, user in users.items() if function(user, task)}

    assert allowed == KEY_TASK_TABLE[(name, case)]
