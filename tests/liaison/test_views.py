"""Login, logout, password change, language switching and the home page of each role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from liaison import workdays
from liaison.models import CalendarYear, Role
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import PASSWORD, USERNAMES

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
HOME_URL = reverse("home")
WRONG_LOGIN_EN = "Please enter a correct username and password."
WRONG_LOGIN_ZH = "请输入一个正确的"


def login(client, district, role):
    client.force_login(district.user(role))
    return district.user(role)


def confirm_calendar_years(*, this_year: bool, next_year: bool) -> None:
    year = timezone.localdate().year
    for y, confirmed in ((year, this_year), (year + 1, next_year)):
        CalendarYear.objects.update_or_create(year=y, defaults={"confirmed": confirmed})


@pytest.fixture
def warm_calendar():
    """Load the working-day calendar into the process cache, so a page count excludes it."""
    workdays.is_working_day(timezone.localdate())


# --- Login -----------------------------------------------------------------------------


def test_it_renders_login_page(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_it_serves_bootstrap_and_htmx_from_our_own_static_files(client):
    response = client.get(LOGIN_URL)
    html = response.content.decode()
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in html
    assert "/static/vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js" in html
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "/static/css/liaison.css" in html
    assert "https://" not in html and "http://" not in html


def test_every_page_names_the_site_s_icon(client):
    html = client.get(LOGIN_URL).content.decode()

    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")


def test_favicon_ico_leads_to_the_site_s_icon(client):
    # Browsers and crawlers ask for /favicon.ico whatever the page says.
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.ico")
    assert "max-age=86400" in response["Cache-Control"]
    icon = Path(finders.find("favicon.ico")).read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00"  # an ICO file (its images are PNG)
    assert b"PNG" in icon[:64]


def test_it_sends_the_csrf_token_with_htmx_requests(client):
    response = client.get(LOGIN_URL)
    token = response.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in response.content.decode()


def test_it_logs_in(client, district):
    response = client.post(
        LOGIN_URL, {"username": USERNAMES[Role.ENTERPRISE], "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == HOME_URL
    assert client.session["_auth_user_id"] == str(district.user(Role.ENTERPRISE).pk)


def test_it_shows_an_error_for_a_wrong_password(client, district):
    response = client.post(
        LOGIN_URL,
        {"username": USERNAMES[Role.ENTERPRISE], "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert WRONG_LOGIN_EN in response.content.decode()
    assert b"alert-danger" in response.content
    assert "_auth_user_id" not in client.session


def test_it_shows_the_wrong_password_error_in_chinese(client, district):
    response = client.post(
        LOGIN_URL,
        {"username": USERNAMES[Role.ENTERPRISE], "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert response.status_code == 200
    assert WRONG_LOGIN_ZH in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_redirects_a_logged_in_user_away_from_login(client, district):
    login(client, district, Role.OFFICE)
    response = client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(HOME_URL)
    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={HOME_URL}"


# --- Logout ----------------------------------------------------------------------------


def test_it_does_not_log_out_on_get(client, district):
    login(client, district, Role.ENTERPRISE)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert "_auth_user_id" in client.session


def test_it_logs_out_on_post(client, district):
    login(client, district, Role.ENTERPRISE)
    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(LOGIN_URL, 302)]
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "You have logged out." in html
    assert 'class="alert alert-success alert-dismissible' in html
    assert 'data-bs-dismiss="alert"' in html


def test_it_offers_logout_as_a_post_form(client, district):
    login(client, district, Role.ENTERPRISE)
    html = client.get(HOME_URL).content.decode()
    assert f'<form method="post" action="{reverse("logout")}" data-clears-drafts>' in html


# --- Navigation ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_it_links_the_admin_for_the_office(client, district, role):
    login(client, district, role)
    response = client.get(HOME_URL)
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


@pytest.mark.parametrize(
    "role", [Role.ENTERPRISE, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.LEADER, None]
)
def test_it_hides_the_admin_from_other_roles(client, district, role):
    login(client, district, role)
    response = client.get(HOME_URL)
    assert reverse("admin:index") not in response.content.decode()


def test_it_shows_the_users_name_and_role(client, district):
    login(client, district, Role.DEPARTMENT_HEAD)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "陈立新" in html  # family name first, no space
    assert "Department head" in html
    assert reverse("password_change") in html


# --- Home pages ------------------------------------------------------------------------


def test_it_shows_the_enterprise_home(client, district):
    login(client, district, Role.ENTERPRISE)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/home_enterprise.html"
    html = response.content.decode()
    enterprise = district.enterprise
    assert enterprise.name in html
    assert enterprise.credit_code in html
    assert "刘洋" in html  # contact person
    # Where to get help: the town, its head and the head's phone as a tel: link.
    assert "梅湾街道办事处" in html
    assert "王建国" in html
    assert 'href="tel:13800000001"' in html
    assert 'href="tel:057382000001"' in html
    assert "区生态环境分局" not in html


def test_it_tells_an_enterprise_without_a_town_to_ask_the_office(client, district):
    district.enterprise.town = None
    district.enterprise.save(update_fields=["town"])
    login(client, district, Role.ENTERPRISE)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has not been linked to its town or street yet" in html
    assert "王建国" not in html


@pytest.mark.parametrize(
    ("role", "label"),
    [(Role.DEPARTMENT_STAFF, "Department staff"), (Role.DEPARTMENT_HEAD, "Department head")],
)
def test_it_shows_the_department_home(client, district, role, label):
    login(client, district, role)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/home_department.html"
    html = response.content.decode()
    assert "区生态环境分局" in html
    assert label in html
    assert 'href="tel:13800000002"' in html  # the head's phone
    assert 'href="tel:057382000002"' in html  # the office phone
    assert "李志强" in html  # the supervising leader
    # Guidance services, one list item per non-blank line.
    for service in ("危险废物处置咨询", "环评审批指导", "排污许可证办理"):
        assert f'<li class="list-group-item">{service}</li>' in html
    assert html.count('<li class="list-group-item">') == 3


def test_it_says_when_a_department_has_no_guidance_services(client, district):
    district.department.guidance_services = ""
    district.department.save(update_fields=["guidance_services"])
    login(client, district, Role.DEPARTMENT_STAFF)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No guidance services are recorded for your department yet." in html


def test_it_shows_the_leader_home(client, district):
    login(client, district, Role.LEADER)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/home_leader.html"
    html = response.content.decode()
    assert "Departments you supervise" in html
    assert "2 departments" in html
    assert "区生态环境分局" in html and "陈立新" in html and 'href="tel:13800000002"' in html
    assert "梅湾街道办事处" in html and "王建国" in html
    assert "区人力资源和社会保障局" not in html  # supervised by the principal leader


def test_it_shows_the_principal_leader_their_departments(client, district):
    login(client, district, Role.PRINCIPAL)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 department" in html
    assert "区人力资源和社会保障局" in html and "周敏" in html
    assert "区生态环境分局" not in html


def test_it_tells_a_leader_without_departments_so(client, district):
    district.other_department.supervising_leader = None
    district.other_department.save(update_fields=["supervising_leader"])
    login(client, district, Role.PRINCIPAL)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No department names you as its supervising leader yet." in html


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_it_shows_the_office_home(client, district, role):
    confirm_calendar_years(this_year=True, next_year=True)
    login(client, district, role)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/home_office.html"
    assert response.context["department_count"] == 3
    assert response.context["enterprise_count"] == 1
    html = response.content.decode()
    assert '<div class="liaison-stat" id="department-count">3</div>' in html
    assert '<div class="liaison-stat" id="enterprise-count">1</div>' in html
    for name in (
        "liaison_department",
        "liaison_enterprise",
        "auth_user",
        "liaison_profile",
        "liaison_calendarday",
        "liaison_calendaryear",
    ):
        assert f'href="{reverse(f"admin:{name}_changelist")}"' in html
    assert "alert-warning" not in html


def test_it_shows_the_office_home_to_a_superuser_without_profile(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(user)
    response = client.get(HOME_URL)
    assert response.templates[0].name == "dashboard/home_office.html"


def test_it_hides_admin_links_from_an_office_user_without_staff_access(client, district):
    office = district.user(Role.OFFICE)
    office.is_staff = False
    office.save(update_fields=["is_staff"])
    client.force_login(office)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/admin/" not in html
    assert "Your account cannot open the administration yet." in html


def test_it_warns_the_office_when_next_years_schedule_is_not_confirmed(client, district):
    confirm_calendar_years(this_year=True, next_year=False)
    login(client, district, Role.OFFICE)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    next_year = timezone.localdate().year + 1
    assert "alert-warning" in html
    assert f"The official holiday schedule for {next_year} is not confirmed." in html
    assert f'href="{reverse("admin:liaison_calendaryear_changelist")}"' in html


def test_it_warns_the_office_about_both_years(client, district):
    confirm_calendar_years(this_year=False, next_year=False)
    login(client, district, Role.OFFICE)
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    year = timezone.localdate().year
    assert f"The official holiday schedules for {year}, {year + 1} are not confirmed." in html


def test_it_asks_a_user_without_a_role_to_contact_the_office(client, district):
    login(client, district, None)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.templates[0].name == "dashboard/home_none.html"
    html = response.content.decode()
    assert "Your account has no role yet" in html
    assert f"<strong>{USERNAMES[None]}</strong>" in html


# --- Query counts ----------------------------------------------------------------------
# Every home page costs: 1 the session, 2 the user, 3 the user's profile (read once by
# permissions.role_of and cached on the user). The rest is listed per page.


@pytest.mark.parametrize("meetings", [0, 3])
def test_it_counts_enterprise_home_queries(
    client, district, warm_calendar, django_assert_num_queries, meetings
):
    from meetings import services

    user = login(client, district, Role.ENTERPRISE)
    office = district.user(Role.OFFICE)
    for n in range(meetings):
        services.meeting_create(
            actor=office,
            theme=f"专题{n}",
            starts_at=timezone.now() + dt.timedelta(days=n + 1),
            venue="区行政中心",
            enterprises=[user.profile.enterprise],
        )
    # 4 the problem figures (one aggregate), 5 the enterprise with its town, 6 its
    # coming face-to-face meetings with their invitations, 7 its service commissioner
    with django_assert_num_queries(7):
        response = client.get(HOME_URL)
    assert len(response.context["upcoming_invitations"]) == meetings


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD])
def test_it_counts_department_home_queries(
    client, district, warm_calendar, django_assert_num_queries, role
):
    login(client, district, role)
    # 4 the desk figures (one aggregate), 5 the department with its supervising leader
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        assert client.get(HOME_URL).status_code == 200


@pytest.mark.parametrize("role", [Role.LEADER, Role.PRINCIPAL])
def test_it_counts_leader_home_queries(
    client, district, warm_calendar, django_assert_num_queries, role
):
    login(client, district, role)
    # 4 the problem figures (one aggregate), 5 the key tasks they lead this year (with
    # overdue milestones counted), 6 the supervised departments, 7 the action items of
    # their coordination meetings (one aggregate), 8 the consultation requests waiting
    # for their answer (a count)
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        assert client.get(HOME_URL).status_code == 200


@pytest.mark.parametrize("role", [Role.OFFICE, Role.ADMIN])
def test_it_counts_office_home_queries(
    client, district, warm_calendar, django_assert_num_queries, role
):
    login(client, district, role)
    # 4 the problem figures (one aggregate with a subquery for pending extensions),
    # 5 confirmed calendar years, 6 count of active departments, 7 count of enterprises
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        assert client.get(HOME_URL).status_code == 200


def test_it_counts_no_role_home_queries(client, district, warm_calendar, django_assert_num_queries):
    login(client, district, None)
    # (the profile query finds nothing)
    with django_assert_num_queries(3):
        assert client.get(HOME_URL).status_code == 200


def test_it_keeps_leader_home_queries_constant_in_the_departments(
    client, district, warm_calendar, django_assert_num_queries
):
    from liaison.models import Department

    leader = login(client, district, Role.LEADER)
    for n in range(5):
        Department.objects.create(
            name=f"测试部门{n}", short_name=f"测试{n}", supervising_leader=leader
        )
    # as above: the figures, the key tasks, the departments, the action items, the
    # consultation requests
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        response = client.get(HOME_URL)
    assert len(response.context["supervised_departments"]) == 7


# --- Languages -------------------------------------------------------------------------


def test_it_picks_english_from_accept_language(client):
    html = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in html
    assert "Password" in html


def test_it_picks_chinese_from_accept_language(client):
    html = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "密码" in html


def test_it_defaults_to_chinese(client):
    html = client.get(LOGIN_URL).content.decode()
    assert '<html lang="zh-hans">' in html


def test_it_offers_a_language_switcher_returning_to_this_page(client, district):
    login(client, district, Role.ENTERPRISE)
    html = client.get(HOME_URL).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert f'<input type="hidden" name="next" value="{HOME_URL}">' in html
    assert 'name="language" value="zh-hans"' in html
    assert 'name="language" value="en"' in html


def test_it_switches_language(client, district):
    login(client, district, Role.ENTERPRISE)
    set_language = reverse("set_language")

    # The browser asks for Chinese; the switcher overrides it with a cookie.
    response = client.post(
        set_language, {"language": "en", "next": HOME_URL}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert response.status_code == 302
    assert response.url == HOME_URL
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html
    assert "Log out" in html and "退出登录" not in html
    assert "嘉兴禾丰涂装有限公司" in html  # the data stays as entered

    response = client.post(set_language, {"language": "zh-hans", "next": HOME_URL})
    assert response.url == HOME_URL
    html = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "退出登录" in html and "Log out" not in html


# --- Password change -------------------------------------------------------------------


def test_it_renders_the_password_change_page(client, district):
    login(client, district, Role.ENTERPRISE)
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in html


def test_it_rejects_a_wrong_old_password(client, district):
    user = login(client, district, Role.ENTERPRISE)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "Xq7-lantern-91",
            "new_password2": "Xq7-lantern-91",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_it_changes_the_password(client, district):
    user = login(client, district, Role.ENTERPRISE)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Xq7-lantern-91",
            "new_password2": "Xq7-lantern-91",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("Xq7-lantern-91")
    # Still signed in on this device.
    assert client.get(reverse("password_change_done")).status_code == 200
    assert client.get(HOME_URL).status_code == 200


def test_it_requires_login_for_password_change(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


# --- Template filters the pages rely on ------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("13812345678", "tel:13812345678"),
        ("+86 138 1234 5678", "tel:+8613812345678"),
        ("0573-82345678", "tel:057382345678"),
        ("0573 82345678", "tel:057382345678"),
        ("0573-82345678-801", "tel:057382345678,801"),
        ("", ""),
    ],
)
def test_it_links_phone_numbers_for_dialling(phone, href):
    from liaison.templatetags.liaison_tags import tel_href

    assert tel_href(phone) == href


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [("伟", "张", "张伟"), ("Jane", "Doe", "Jane Doe"), ("", "", "login-name")],
)
def test_it_writes_names_as_people_do(django_user_model, first, last, name):
    from liaison.templatetags.liaison_tags import person_name

    user = django_user_model(username="login-name", first_name=first, last_name=last)
    assert person_name(user) == name
