"""Database constraints of the core models, and profile_set_role keeping access in step."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from liaison.models import Department, Enterprise, Profile, Role
from liaison.services import profile_set_role
from liaison.validators import credit_code_check_char

User = get_user_model()
CODE = "91350100M000100Y43"

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return Department.objects.create(name="区生态环境分局", short_name="环境分局")


@pytest.fixture
def enterprise():
    return Enterprise.objects.create(name="嘉禾涂装有限公司", credit_code=CODE)


@pytest.fixture
def user():
    return User.objects.create_user("someone")


def code(body: str) -> str:
    return body + credit_code_check_char(body)


# Profile: the role decides which organisation it belongs to.


def profile_violates(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(**fields)


def test_enterprise_user_without_enterprise_is_refused(user):
    profile_violates(user=user, role=Role.ENTERPRISE)


def test_enterprise_user_with_a_department_is_refused(user, enterprise, department):
    profile_violates(user=user, role=Role.ENTERPRISE, enterprise=enterprise, department=department)


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD])
def test_department_user_without_department_is_refused(user, role):
    profile_violates(user=user, role=role)


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD])
def test_department_user_with_an_enterprise_as_well_is_refused(user, role, enterprise, department):
    profile_violates(user=user, role=role, department=department, enterprise=enterprise)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN])
def test_office_leaders_and_admin_with_a_department_are_refused(user, role, department):
    profile_violates(user=user, role=role, department=department)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN])
def test_office_leaders_and_admin_with_an_enterprise_are_refused(user, role, enterprise):
    profile_violates(user=user, role=role, enterprise=enterprise)


def test_unknown_role_is_refused(user):
    profile_violates(user=user, role="mayor")


@pytest.mark.parametrize(
    ("role", "organisation"),
    [
        (Role.ENTERPRISE, "enterprise"),
        (Role.DEPARTMENT_STAFF, "department"),
        (Role.DEPARTMENT_HEAD, "department"),
        (Role.OFFICE, None),
        (Role.LEADER, None),
        (Role.PRINCIPAL, None),
        (Role.ADMIN, None),
    ],
)
def test_valid_combinations_save(user, enterprise, department, role, organisation):
    organisations = {"enterprise": enterprise, "department": department}
    fields = {organisation: organisations[organisation]} if organisation else {}

    profile = Profile.objects.create(user=user, role=role, **fields)

    assert Profile.objects.get(pk=profile.pk).role == role


# Enterprise: the credit code's format and uniqueness are enforced by the database.


@pytest.mark.parametrize(
    "bad_code",
    [
        "91350100M000100I43",  # a letter outside the charset
        "91350100M000100Y4",  # 17 characters
        "91350100M00010-Y43",
    ],
)
def test_credit_code_format_is_a_database_constraint(bad_code):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(name="x", credit_code=bad_code)


def test_credit_code_format_constraint_holds_for_bulk_writes_too():
    # bulk_create skips save() and its upper-casing: the constraint still catches it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.bulk_create([Enterprise(name="x", credit_code=CODE.lower())])


def test_credit_code_is_unique(enterprise):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(name="另一家", credit_code=CODE)


def test_credit_code_is_unique_whatever_the_case_it_was_typed_in(enterprise):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(name="另一家", credit_code=f" {CODE.lower()} ")


def test_different_codes_coexist(enterprise):
    Enterprise.objects.create(name="另一家", credit_code=code("91330400MA2B3C4D5"))

    assert Enterprise.objects.count() == 2


# Department.


def test_departments_are_ordered_by_display_order_then_name():
    Department.objects.create(name="乙局", short_name="乙", display_order=20)
    Department.objects.create(name="B town", short_name="B", display_order=10)
    Department.objects.create(name="A town", short_name="A", display_order=10)
    Department.objects.create(name="甲局", short_name="甲", display_order=5)

    assert [d.name for d in Department.objects.all()] == ["甲局", "A town", "B town", "乙局"]


def test_guidance_service_list_is_one_service_per_nonblank_line():
    department = Department(
        name="区人社局",
        short_name="人社局",
        guidance_services="  定制招聘会 \n\n稳岗补贴申报\r\n   \n职业技能培训\n",
    )

    assert department.guidance_service_list() == ["定制招聘会", "稳岗补贴申报", "职业技能培训"]


def test_guidance_service_list_of_a_department_without_services_is_empty():
    assert Department(name="x", short_name="x").guidance_service_list() == []


# profile_set_role: groups and staff access follow the role.

ORGANISATION_OF_ROLE = {
    Role.ENTERPRISE: "enterprise",
    Role.DEPARTMENT_STAFF: "department",
    Role.DEPARTMENT_HEAD: "department",
}


@pytest.mark.parametrize("role", list(Role))
def test_profile_set_role_puts_the_user_in_the_role_group(user, enterprise, department, role):
    organisation = ORGANISATION_OF_ROLE.get(role)
    organisations = {"enterprise": enterprise, "department": department}
    fields = {organisation: organisations[organisation]} if organisation else {}

    profile = profile_set_role(user=user, role=role, title="科员", **fields)

    user.refresh_from_db()
    assert profile.role == role
    assert profile.title == "科员"
    assert list(user.groups.values_list("name", flat=True)) == [role.value]
    assert user.is_staff is (role in (Role.OFFICE, Role.ADMIN))
    assert user.is_superuser is (role == Role.ADMIN)


def test_changing_role_moves_the_user_between_groups_and_drops_staff_access(user, enterprise):
    profile_set_role(user=user, role=Role.OFFICE)

    profile_set_role(user=user, role=Role.ENTERPRISE, enterprise=enterprise)

    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == [Role.ENTERPRISE.value]
    assert not user.is_staff
    assert Profile.objects.filter(user=user).count() == 1
    assert user.profile.enterprise == enterprise


def test_demoted_admin_is_no_longer_a_superuser(user):
    profile_set_role(user=user, role=Role.ADMIN)

    profile_set_role(user=user, role=Role.OFFICE)

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert not user.has_perm("auth.delete_user")


def test_office_group_may_manage_organisations_calendar_and_accounts(user):
    profile_set_role(user=user, role=Role.OFFICE)
    user = User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance

    assert user.has_perm("liaison.change_enterprise")
    assert user.has_perm("liaison.add_calendarday")
    assert user.has_perm("liaison.change_calendaryear")
    assert user.has_perm("auth.change_user")
    assert not user.has_perm("auth.delete_user")
    assert not user.has_perm("auth.change_group")


def test_profile_set_role_refuses_a_role_without_its_organisation(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        profile_set_role(user=user, role=Role.ENTERPRISE)

    assert not Profile.objects.filter(user=user).exists()
    assert not user.groups.exists()
