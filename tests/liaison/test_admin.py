"""The admin as the liaison office uses it: organisations, accounts and the calendar."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from liaison import workdays
from liaison.models import (
    GUIDANCE_SERVICES_MAX_LENGTH,
    CalendarDay,
    Department,
    Enterprise,
    Profile,
    Role,
)
from liaison.services import profile_set_role

User = get_user_model()
CODE = "91350100M000100Y43"
OFFICE_MODELS = ("department", "enterprise", "profile", "calendarday", "calendaryear")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.invalidate()
    yield
    workdays.invalidate()


@pytest.fixture
def department():
    return Department.objects.create(name="区生态环境分局", short_name="环境分局")


@pytest.fixture
def enterprise():
    return Enterprise.objects.create(name="嘉禾涂装有限公司", credit_code=CODE)


def user_with_role(username, role, **organisation):
    user = User.objects.create_user(username)
    profile_set_role(user=user, role=role, **organisation)
    user.refresh_from_db()
    return user


@pytest.fixture
def office():
    return user_with_role("office", Role.OFFICE)


@pytest.fixture
def enterprise_user(enterprise):
    return user_with_role("enterprise", Role.ENTERPRISE, enterprise=enterprise)


@pytest.fixture
def department_head(department):
    return user_with_role("head", Role.DEPARTMENT_HEAD, department=department)


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def post(client, url, data):
    return client.post(url, data, headers={"accept-language": "en"})


# Who gets in.


@pytest.mark.parametrize("model", OFFICE_MODELS)
@pytest.mark.parametrize("page", ["changelist", "add"])
def test_office_opens_changelist_and_add_page(office_client, model, page):
    response = office_client.get(reverse(f"admin:liaison_{model}_{page}"))

    assert response.status_code == 200


def test_office_opens_the_admin_index_and_a_user_change_page(office_client, enterprise_user):
    assert office_client.get(reverse("admin:index")).status_code == 200
    response = office_client.get(reverse("admin:auth_user_change", args=[enterprise_user.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["enterprise_user", "department_head"])
@pytest.mark.parametrize("url_name", ["admin:index", "admin:liaison_enterprise_changelist"])
def test_enterprise_users_and_department_heads_are_sent_to_the_admin_login(
    client, request, persona, url_name
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_flag_alone_does_not_open_the_admin(client, enterprise_user):
    User.objects.filter(pk=enterprise_user.pk).update(is_staff=True)  # bypassing the role
    client.force_login(enterprise_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302


def test_superuser_without_a_profile_gets_in(client):
    client.force_login(User.objects.create_superuser("root", email="root@example.com"))

    assert client.get(reverse("admin:index")).status_code == 200


# Enterprises: the credit code.


def enterprise_form(**fields):
    return {"name": "闽江精工", "credit_code": CODE, "email": "", **fields}


def test_bad_check_digit_shows_the_error_and_creates_nothing(office_client):
    response = post(
        office_client,
        reverse("admin:liaison_enterprise_add"),
        enterprise_form(credit_code="91350100M000100Y44"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["credit_code"]
    assert [e.code for e in errors] == ["credit_code_check_digit"]
    assert "The check digit (last character)" in response.text
    assert not Enterprise.objects.exists()


def test_lower_case_code_is_accepted_and_stored_in_capitals(office_client):
    response = post(
        office_client,
        reverse("admin:liaison_enterprise_add"),
        enterprise_form(credit_code=" 91350100m000100y43 "),
    )

    assert response.status_code == 302
    assert Enterprise.objects.get().credit_code == CODE


def test_lower_case_duplicate_is_a_form_error_not_a_crash(office_client, enterprise):
    response = post(
        office_client,
        reverse("admin:liaison_enterprise_add"),
        enterprise_form(name="另一家", credit_code=CODE.lower()),
    )

    assert response.status_code == 200
    assert "An enterprise with this credit code is already registered." in response.text
    assert Enterprise.objects.count() == 1


# The calendar.


def test_editing_a_calendar_day_changes_working_days(
    office_client, django_capture_on_commit_callbacks
):
    day = CalendarDay.objects.get(date=dt.date(2025, 10, 8))
    assert not workdays.is_working_day(day.date)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            office_client,
            reverse("admin:liaison_calendarday_change", args=[day.pk]),
            {"date": "2025-10-08", "kind": "workday", "name": "改为上班", "source": "manual"},
        )

    assert response.status_code == 302
    assert workdays.is_working_day(day.date)


def test_adding_a_calendar_day_through_the_admin(office_client, django_capture_on_commit_callbacks):
    tuesday = dt.date(2026, 3, 10)
    assert workdays.is_working_day(tuesday)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            office_client,
            reverse("admin:liaison_calendarday_add"),
            {"date": "2026-03-10", "kind": "holiday", "name": "", "source": "manual"},
        )

    assert response.status_code == 302
    assert not workdays.is_working_day(tuesday)


# Accounts: the role decides staff access, and the office cannot make superusers.


def test_office_user_form_leaves_out_the_role_driven_fields(office_client, enterprise_user):
    response = office_client.get(reverse("admin:auth_user_change", args=[enterprise_user.pk]))

    fields = set(response.context["adminform"].form.fields)
    assert {"username", "is_active"} <= fields
    assert not fields & {"is_staff", "is_superuser", "groups", "user_permissions"}


def test_office_cannot_see_or_edit_a_superuser(office_client):
    root = User.objects.create_superuser("root", email="root@example.com")

    changelist = office_client.get(reverse("admin:auth_user_changelist"))
    change = office_client.get(reverse("admin:auth_user_change", args=[root.pk]))

    assert root not in changelist.context["cl"].result_list
    assert change.status_code == 302  # "doesn't exist", back to the index


def test_office_is_not_offered_the_admin_role(office_client):
    response = office_client.get(reverse("admin:liaison_profile_add"))

    roles = [value for value, _ in response.context["adminform"].form.fields["role"].choices]
    assert Role.OFFICE in roles
    assert Role.ADMIN not in roles


def test_office_cannot_give_the_admin_role(office_client):
    someone = User.objects.create_user("someone")

    response = post(
        office_client,
        reverse("admin:liaison_profile_add"),
        {"user": someone.pk, "role": "admin", "email_notifications": "on", "language": "zh-hans"},
    )

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    someone.refresh_from_db()
    assert not someone.is_superuser
    assert not Profile.objects.filter(user=someone).exists()


def test_profile_added_in_the_admin_gets_its_group(office_client, department):
    someone = User.objects.create_user("someone")

    response = post(
        office_client,
        reverse("admin:liaison_profile_add"),
        {
            "user": someone.pk,
            "role": "department_head",
            "department": department.pk,
            "language": "en",
        },
    )

    assert response.status_code == 302
    assert someone.profile.role == Role.DEPARTMENT_HEAD
    assert list(someone.groups.values_list("name", flat=True)) == ["department_head"]


def test_role_changed_in_the_admin_takes_staff_access_away(office_client, client):
    colleague = user_with_role("colleague", Role.OFFICE)

    response = post(
        office_client,
        reverse("admin:liaison_profile_change", args=[colleague.profile.pk]),
        {"role": "leader", "email_notifications": "on", "language": "zh-hans"},
    )

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert (colleague.profile.role, colleague.is_staff) == (Role.LEADER, False)
    assert list(colleague.groups.values_list("name", flat=True)) == ["leader"]
    client.force_login(colleague)
    assert client.get(reverse("admin:index")).status_code == 302


def test_role_changed_in_the_user_page_inline_keeps_groups_in_step(
    office_client, enterprise_user, department
):
    profile = enterprise_user.profile
    data = {
        "username": enterprise_user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-01-02",
        "date_joined_1": "09:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": profile.pk,
        "profile-0-user": enterprise_user.pk,
        "profile-0-role": "department_staff",
        "profile-0-department": department.pk,
        "profile-0-enterprise": "",
        "profile-0-title": "",
        "profile-0-phone": "0573-82345678",
        "profile-0-email_notifications": "on",
        "profile-0-language": "zh-hans",
    }

    response = post(
        office_client, reverse("admin:auth_user_change", args=[enterprise_user.pk]), data
    )

    assert response.status_code == 302, response.context and response.context.get("errors")
    enterprise_user.refresh_from_db()
    assert enterprise_user.profile.role == Role.DEPARTMENT_STAFF
    assert enterprise_user.profile.department == department
    assert list(enterprise_user.groups.values_list("name", flat=True)) == ["department_staff"]
    assert not enterprise_user.is_staff


def test_a_calendar_day_in_the_year_9999_is_refused(office_client):
    response = post(
        office_client,
        reverse("admin:liaison_calendarday_add"),
        {"date": "9999-12-31", "kind": "holiday", "name": "元旦", "source": "manual"},
    )

    assert response.status_code == 200
    assert "Enter a date from 2000-01-01 to 2100-12-31." in response.content.decode()
    assert not CalendarDay.objects.filter(date__year=9999).exists()


def test_an_over_long_list_of_guidance_services_is_refused(office_client, department):
    response = post(
        office_client,
        reverse("admin:liaison_department_change", args=[department.pk]),
        {
            "name": department.name,
            "short_name": department.short_name,
            "kind": department.kind,
            "guidance_services": "字" * (GUIDANCE_SERVICES_MAX_LENGTH + 1),
            "is_active": "on",
            "display_order": "100",
        },
    )

    assert response.status_code == 200
    assert f"Ensure this value has at most {GUIDANCE_SERVICES_MAX_LENGTH} characters" in (
        response.content.decode()
    )
    department.refresh_from_db()
    assert department.guidance_services == ""
