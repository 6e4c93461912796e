"""The published lists: department heads' contacts and guidance services, pages and .xlsx."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liaison.models import Department, Role
from liaison.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from meetings import list_views
from tests.meetings.fixtures_stats import *  # noqa: F403 - fixtures

pytestmark = pytest.mark.django_db

CONTACTS = reverse("meetings:contacts")
CONTACTS_XLSX = reverse("meetings:contacts_xlsx")
GUIDANCE = reverse("meetings:guidance")
GUIDANCE_XLSX = reverse("meetings:guidance_xlsx")
ALL_URLS = [CONTACTS, CONTACTS_XLSX, GUIDANCE, GUIDANCE_XLSX]


@pytest.fixture
def departments(district):
    """The district's three active departments, and one that is no longer active."""
    Department.objects.create(
        name="区撤销的办公室",
        short_name="已撤销",
        head_name="钱某",
        head_phone="13800000009",
        guidance_services="不再提供",
        is_active=False,
        display_order=1,
    )
    return district


@pytest.fixture
def client_as(client):
    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def workbook_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.content))


def rows_of(response) -> list[tuple]:
    return list(workbook_of(response).active.iter_rows(values_only=True))


# --- who may open them --------------------------------------------------------------------


@pytest.mark.parametrize("url", ALL_URLS)
@pytest.mark.parametrize(
    "role",
    [Role.ENTERPRISE, Role.DEPARTMENT_STAFF, Role.OFFICE, Role.LEADER, Role.ADMIN, None],
)
def test_any_logged_in_user_opens_them(client_as, departments, url, role):
    response = client_as(departments.user(role)).get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", ALL_URLS)
def test_anonymous_users_are_asked_to_log_in(client_as, departments, url):
    response = client_as(None).get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url", ALL_URLS)
def test_they_are_public_when_the_setting_says_so(client_as, departments, settings, url):
    settings.LIAISON_PUBLIC_LISTS = True

    response = client_as(None).get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", ALL_URLS)
def test_they_are_read_only(client_as, departments, url):
    response = client_as(departments.user(Role.ENTERPRISE)).post(url)

    assert response.status_code == 405


# --- the contact list ---------------------------------------------------------------------


def test_the_contact_list_shows_active_departments_in_display_order(client_as, departments):
    response = client_as(departments.user(Role.ENTERPRISE)).get(CONTACTS)

    rows = response.context["rows"]
    assert [row["department"].name for row in rows] == [
        "区生态环境分局",
        "梅湾街道办事处",
        "区人力资源和社会保障局",
    ]
    first = rows[0]
    assert (first["head_name"], first["head_phone"], first["office_phone"]) == (
        "陈立新",
        "13800000002",
        "0573-82000002",
    )
    assert first["leader"] == "李志强"
    html = response.content.decode()
    assert 'href="tel:13800000002"' in html
    assert "区撤销的办公室" not in html
    assert "data-print" in html and CONTACTS_XLSX in html


def test_strangers_see_heads_mobiles_masked(client_as, departments, settings):
    settings.LIAISON_PUBLIC_LISTS = True

    response = client_as(None).get(CONTACTS)

    html = response.content.decode()
    assert "138****0002" in html
    assert "13800000002" not in html
    assert "0573-82000002" in html  # office phones are published in full


def test_a_user_without_a_role_sees_heads_mobiles_masked(client_as, departments):
    response = client_as(departments.user(None)).get(CONTACTS)

    assert "138****0002" in response.content.decode()
    assert "13800000002" not in response.content.decode()


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800000002", "138****0002"),
        ("+86 138 1234 5678", "138****5678"),
        ("0573-82000002", "0573-82000002"),
        ("", ""),
    ],
)
def test_masked_phone(phone, masked):
    assert list_views.masked_phone(phone) == masked


def test_the_contact_list_downloads_as_a_spreadsheet(client_as, departments):
    response = client_as(departments.user(Role.ENTERPRISE)).get(CONTACTS_XLSX)

    workbook = workbook_of(response)
    sheet = workbook.active
    assert list(sheet.iter_rows(values_only=True)) == [
        (
            "No.",
            "Department",
            "Head",
            "Head's phone",
            "Office phone",
            "Supervising district leader",
        ),
        (1, "区生态环境分局", "陈立新", "13800000002", "0573-82000002", "李志强"),
        (2, "梅湾街道办事处", "王建国", "13800000001", "0573-82000001", "李志强"),
        (3, "区人力资源和社会保障局", "周敏", "13800000003", None, "赵海峰"),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet["B2"].alignment.wrap_text
    assert sheet.column_dimensions["B"].width >= 20
    assert response["Content-Disposition"] == (
        'attachment; filename="Department heads\' contact list.xlsx"'
    )


def test_the_downloaded_contact_list_masks_mobiles_for_strangers(client_as, departments, settings):
    settings.LIAISON_PUBLIC_LISTS = True

    rows = rows_of(client_as(None).get(CONTACTS_XLSX))

    assert [row[3] for row in rows[1:]] == ["138****0002", "138****0001", "138****0003"]


def test_the_headers_go_through_gettext(client_as, departments, monkeypatch):
    monkeypatch.setattr(list_views, "_", lambda text: f"«{text}»")

    for url in (CONTACTS_XLSX, GUIDANCE_XLSX):
        workbook = workbook_of(client_as(departments.user(Role.ENTERPRISE)).get(url))
        headers = next(workbook.active.iter_rows(values_only=True))
        assert all(h.startswith("«") for h in headers), headers
        assert workbook.active.title.startswith("«")


# --- the guidance list ---------------------------------------------------------------------


def test_the_guidance_list_shows_each_departments_services(client_as, departments):
    response = client_as(departments.user(Role.ENTERPRISE)).get(GUIDANCE)

    listed = [(d.name, services) for d, services in response.context["departments"]]
    assert listed == [
        ("区生态环境分局", ["危险废物处置咨询", "环评审批指导", "排污许可证办理"]),
        ("梅湾街道办事处", []),
        ("区人力资源和社会保障局", []),
    ]
    html = response.content.decode()
    assert "<li>环评审批指导</li>" in html
    assert "不再提供" not in html
    assert "data-print" in html and GUIDANCE_XLSX in html


def test_the_guidance_list_downloads_as_a_spreadsheet(client_as, departments):
    response = client_as(departments.user(Role.ENTERPRISE)).get(GUIDANCE_XLSX)

    sheet = workbook_of(response).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("No.", "Department", "Guidance services", "Office phone"),
        (1, "区生态环境分局", "危险废物处置咨询\n环评审批指导\n排污许可证办理", "0573-82000002"),
        (2, "梅湾街道办事处", None, "0573-82000001"),
        (3, "区人力资源和社会保障局", None, None),
    ]
    assert sheet["C2"].alignment.wrap_text
    assert sheet.column_dimensions["C"].width >= 40
    assert sheet.freeze_panes == "A2"


# --- queries --------------------------------------------------------------------------------


def more_departments(district, n: int) -> None:
    Department.objects.bulk_create(
        Department(
            name=f"区第{i}局",
            short_name=f"第{i}局",
            head_name="张三",
            head_phone="13900000000",
            supervising_leader=district.users[Role.LEADER],
            guidance_services="政策咨询\n项目申报",
            display_order=200 + i,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("extra", [0, 20])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session; user; profile (the role: for the menu, and may they see mobiles);
        # active departments with their supervising leaders; the audit trail's record
        (CONTACTS, 5),
        (CONTACTS_XLSX, 5),
        (GUIDANCE, 5),
        # the spreadsheet has no menu and no mobiles, but two-factor sign-in reads the
        # profile (the role decides whether the session must have passed it); the audit
        # trail's record
        (GUIDANCE_XLSX, 5),
    ],
)
def test_a_logged_in_user_costs_the_same_queries_whatever_the_number_of_departments(
    client_as, departments, django_assert_num_queries, url, queries, extra
):
    more_departments(departments, extra)
    client = client_as(departments.user(Role.ENTERPRISE))

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 20])
@pytest.mark.parametrize("url", ALL_URLS)
def test_a_public_list_costs_one_query(
    client_as, departments, settings, django_assert_num_queries, url, extra
):
    settings.LIAISON_PUBLIC_LISTS = True
    more_departments(departments, extra)
    client = client_as(None)

    with django_assert_num_queries(1):  # active departments with their supervising leaders
        response = client.get(url)

    assert response.status_code == 200
