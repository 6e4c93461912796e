"""Enterprises (read, upsert by credit code), departments' published lists, meetings,
figures and the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.models import Binding, Scope
from api.serializers import EnterpriseSerializer
from liaison.models import ENTERPRISE_DETAILS, Enterprise, Role
from liaison.validators import credit_code_check_char
from meetings.models import Invitation, Meeting
from tests.liaison.conftest import credit_code

from .conftest import as_client

pytestmark = pytest.mark.django_db


def test_the_office_client_creates_then_updates_an_enterprise(district, register):
    _, key = register(Binding.DISTRICT, [Scope.ENTERPRISES_WRITE], name="portal")
    http = as_client(key)
    code = credit_code(77)
    url = f"/api/v1/enterprises/{code.lower()}/"
    created = http.put(
        url,
        {"name": "嘉兴新材科技有限公司", "town": district.town.pk, "contact_phone": "13912345678"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["credit_code"] == code
    updated = http.put(url, {"address": "梅湾街道 9 号"}, format="json")
    assert updated.status_code == 200
    enterprise = Enterprise.objects.get(credit_code=code)
    assert (enterprise.name, enterprise.address) == ("嘉兴新材科技有限公司", "梅湾街道 9 号")


def test_the_serializer_writes_exactly_what_the_service_sets():
    """A writable field the service did not list would make every PUT carrying it fail
    with a server error (enterprise_upsert refuses unknown fields)."""
    writable = {
        name for name, field in EnterpriseSerializer().fields.items() if not field.read_only
    }
    assert writable == set(ENTERPRISE_DETAILS)


def test_a_put_with_every_field_sets_them_all(district, register):
    _, key = register(Binding.DISTRICT, [Scope.ENTERPRISES_WRITE], name="portal")
    values = {
        "name": "嘉兴全字段有限公司",
        "industry": "制造业",
        "town": district.town.pk,
        "address": "梅湾街道 1 号",
        "contact_person": "周敏",
        "contact_phone": "13912345670",
        "email": "office@example.com",
    }
    assert set(values) == set(ENTERPRISE_DETAILS)
    response = as_client(key).put(f"/api/v1/enterprises/{credit_code(76)}/", values, format="json")
    assert response.status_code == 201, response.content
    enterprise = Enterprise.objects.get(credit_code=credit_code(76))
    assert {name: getattr(enterprise, name) for name in values} == {
        **values,
        "town": district.town,
    }


def test_a_credit_code_with_a_wrong_check_digit_is_refused_in_the_callers_language(
    district, register
):
    _, key = register(Binding.DISTRICT, [Scope.ENTERPRISES_WRITE], name="portal")
    first17 = "91330402MA0000077"
    wrong = first17 + ("0" if credit_code_check_char(first17) != "0" else "1")
    http = as_client(key)
    en = http.put(
        f"/api/v1/enterprises/{wrong}/", {"name": "X"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert en.status_code == 400
    assert "check digit" in en.json()["credit_code"][0]
    zh = http.put(
        f"/api/v1/enterprises/{wrong}/",
        {"name": "X"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-Hans",
    )
    assert "校验" in zh.json()["credit_code"][0]
    phone = http.put(
        f"/api/v1/enterprises/{credit_code(78)}/",
        {"name": "X", "contact_phone": "12345"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert phone.status_code == 400 and "contact_phone" in phone.json()
    # A new enterprise needs a name.
    nameless = http.put(f"/api/v1/enterprises/{credit_code(79)}/", {}, format="json")
    assert nameless.status_code == 400 and "name" in nameless.json()
    assert not Enterprise.objects.filter(credit_code__in=[credit_code(78), credit_code(79)])


def test_departments_mask_heads_mobiles_for_anonymous_callers(district, http, settings, register):
    settings.LIAISON_PUBLIC_LISTS = True
    anonymous = {d["name"]: d for d in http.get("/api/v1/departments/").json()}
    eco = anonymous[district.department.name]
    assert eco["head_phone"] == "138****0002"
    assert eco["head_phone_masked"] is True
    assert eco["guidance_services"] == ["危险废物处置咨询", "环评审批指导", "排污许可证办理"]
    _, key = register(Binding.ENTERPRISE, [], name="erp")
    seen = as_client(key).get(f"/api/v1/departments/{district.department.pk}/").json()
    assert seen["head_phone"] == "13800000002" and seen["head_phone_masked"] is False
    assert http.get("/api/v1/departments/999999999999999999999/").status_code == 404


def test_meetings_are_those_the_caller_may_see(district, register, other_enterprise):
    office = district.user(Role.OFFICE)
    invited = Meeting.objects.create(
        year=2026,
        number=1,
        theme="先进制造业",
        starts_at=timezone.now(),
        venue="区行政中心",
        created_by=office,
    )
    Invitation.objects.create(meeting=invited, enterprise=district.enterprise)
    other = Meeting.objects.create(
        year=2026,
        number=2,
        theme="商贸物流",
        starts_at=timezone.now(),
        venue="区行政中心",
        created_by=office,
    )
    Invitation.objects.create(meeting=other, enterprise=other_enterprise)
    _, erp = register(Binding.ENTERPRISE, [Scope.MEETINGS_READ], name="erp")
    _, office_key = register(Binding.DISTRICT, [Scope.MEETINGS_READ], name="bi")
    listed = as_client(erp).get("/api/v1/meetings/").json()["results"]
    assert [m["id"] for m in listed] == [invited.pk]
    assert listed[0]["invited_count"] == 1
    assert as_client(erp).get(f"/api/v1/meetings/{other.pk}/").status_code == 404
    assert as_client(office_key).get(f"/api/v1/meetings/{other.pk}/").json()["theme"] == "商贸物流"


def test_figures_for_a_period(district, make_problem, register):
    make_problem("resolved")
    make_problem("submitted")
    _, key = register(Binding.DISTRICT, [Scope.FIGURES_READ], name="bi")
    http = as_client(key)
    year = timezone.localdate().year
    data = http.get("/api/v1/figures/", {"year": year}).json()
    assert data["headline"]["received"] == 2
    assert data["headline"]["concluded"] == 1
    assert data["headline"]["conclusion_rate"] == "100.0"
    assert [row["department"]["id"] for row in data["league"]] == [district.department.pk]
    # By appeal type: every type, the two problems are requests (the default).
    assert [(row["appeal_type"], row["received"]) for row in data["appeal_types"]] == [
        ("consultation", 0),
        ("request", 2),
        ("suggestion", 0),
        ("complaint", 0),
    ]
    too_long = http.get(
        "/api/v1/figures/",
        {"date_from": "2000-01-01", "date_to": "2020-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert too_long.status_code == 400
    assert too_long.json() == {"date_to": ["A period may cover at most 10 years."]}
    for bad in ("0001-01-01", "9999-12-31", "2026-02-30", "x" * 1000):
        response = http.get("/api/v1/figures/", {"date_from": bad})
        assert response.status_code == 400, bad


def test_the_calendar(district, register):
    _, key = register(Binding.DISTRICT, [], name="cal")
    http = as_client(key)
    saturday = http.get("/api/v1/calendar/working-day/", {"date": "2026-03-07"}).json()
    assert saturday["is_working_day"] is False
    monday = http.get("/api/v1/calendar/working-day/", {"date": "2026-03-09"}).json()
    assert monday["is_working_day"] is True
    deadline = http.get("/api/v1/calendar/deadline/", {"start": "2026-03-06T10:00:00+08:00"}).json()
    # Day 1 is Monday 9 March; the 10th working day is Friday 20 March, end of day.
    due = dt.datetime.fromisoformat(deadline["due_at"])
    assert due.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat() == (
        "2026-03-20T23:59:59+08:00"
    )
    assert deadline["working_days"] == 10
    for params in (
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"date": ""},
        {"date": "2026-13-01"},
    ):
        assert http.get("/api/v1/calendar/working-day/", params).status_code == 400, params
    for params in (
        {"start": "9999-12-31T23:59:59"},
        {"start": "2026-03-06T10:00:00", "working_days": "-1"},
        {"start": "2026-03-06T10:00:00", "working_days": "9" * 30},
    ):
        assert http.get("/api/v1/calendar/deadline/", params).status_code == 400, params


def test_the_directory_lists_cost_the_same_queries_whatever_the_number_of_rows(district, register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = district.user(Role.OFFICE)
    _, key = register(
        Binding.DISTRICT,
        [Scope.ENTERPRISES_READ, Scope.MEETINGS_READ],
        name="bi",
    )
    http = as_client(key)
    http.get("/api/v1/me/")  # the client's last use is written once a minute: not counted

    def counts() -> list[int]:
        result = []
        for url in ("/api/v1/enterprises/", "/api/v1/departments/", "/api/v1/meetings/"):
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200, url
            result.append(len(queries))
        return result

    def meeting(number: int) -> None:
        created = Meeting.objects.create(
            year=2026,
            number=number,
            theme=f"主题{number}",
            starts_at=timezone.now(),
            venue="区行政中心",
            created_by=office,
        )
        Invitation.objects.create(meeting=created, enterprise=district.enterprise)

    meeting(1)
    few = counts()
    for n in range(2, 7):
        meeting(n)
        Enterprise.objects.create(
            name=f"企业{n}", credit_code=credit_code(100 + n), town=district.town
        )
    assert counts() == few


def test_contact_phones_follow_the_web_s_rule(district, register, make_problem, other_enterprise):
    """In full for the office and the enterprise itself, and for a department while it
    handles one of the enterprise's open problems; masked otherwise (as on the web)."""
    Enterprise.objects.filter(pk=other_enterprise.pk).update(contact_phone="13900000002")
    _, office_key = register(Binding.DISTRICT, [Scope.ENTERPRISES_READ], name="portal")
    _, department_key = register(Binding.DEPARTMENT, [Scope.ENTERPRISES_READ], name="eco")
    _, enterprise_key = register(Binding.ENTERPRISE, [Scope.ENTERPRISES_READ], name="erp")

    def phones(key) -> dict:
        results = as_client(key).get("/api/v1/enterprises/").json()["results"]
        return {row["credit_code"]: row["contact_phone"] for row in results}

    mine, other = district.enterprise.credit_code, other_enterprise.credit_code
    assert phones(office_key) == {mine: "13900000001", other: "13900000002"}
    assert phones(enterprise_key) == {mine: "13900000001"}
    assert phones(department_key) == {mine: "139****0001", other: "139****0002"}
    make_problem("in_progress")  # district.enterprise's, led by district.department
    assert phones(department_key) == {mine: "13900000001", other: "139****0002"}
    one = as_client(department_key).get(f"/api/v1/enterprises/{other}/").json()
    assert one["contact_phone"] == "139****0002"
