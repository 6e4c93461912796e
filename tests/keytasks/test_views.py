"""Key-task pages: who sees what, the forms' messages, exports, and pinned query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AccessEvent, Action
from keytasks import services
from keytasks.models import KeyTask, Milestone
from liaison import workdays
from liaison.models import Department, Role
from liaison.services import profile_set_role
from tests.dates import iso_dates_in_text, visible_text
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, YEAR

pytestmark = pytest.mark.django_db
Status = KeyTask.Status
LIST_URL = reverse("keytasks:task_list")


@pytest.fixture
def warm_calendar(db):
    """Load the working-day calendar into the process cache, so a page count excludes it."""
    workdays.is_working_day(dt.date.today())


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _fill(task, leader, lead_staff, n: int) -> None:
    for i in range(n):
        Milestone.objects.create(task=task, title=f"节点{i}", due_date=dt.date(YEAR, 3 + i % 9, 1))
        services.progress_report_add(
            actor=lead_staff, task_id=task.pk, text=f"进展{i}", percent=10 * i % 100, now=NOW
        )
    task.problems.set([])


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ENTERPRISE, None])
def test_outsiders_do_not_find_the_pages(client, district, make_task, role):
    task = make_task()
    client.force_login(district.user(role))

    assert client.get(LIST_URL).status_code == 404
    assert client.get(reverse("keytasks:task_detail", args=[task.pk])).status_code == 404


def test_a_department_sees_only_the_tasks_it_works_on(client, district, make_task):
    mine = make_task(1)
    supported = make_task(
        2, lead_department=district.other_department, supporting_departments=[district.department]
    )
    other = make_task(3, lead_department=district.other_department, supporting_departments=[])
    client.force_login(district.user(Role.DEPARTMENT_STAFF))

    response = client.get(LIST_URL, {"year": YEAR})

    assert {t.pk for t in response.context["tasks"]} == {mine.pk, supported.pk}
    assert client.get(reverse("keytasks:task_detail", args=[other.pk])).status_code == 404


def test_the_list_filters_by_leader_status_and_department(client, district, make_task, leader):
    led = make_task(1)
    by_principal = make_task(2, leader=district.user(Role.PRINCIPAL))
    KeyTask.objects.filter(pk=by_principal.pk).update(status=Status.BEHIND)
    client.force_login(district.user(Role.OFFICE))

    by_leader = client.get(LIST_URL, {"year": YEAR, "leader": leader.pk}).context["tasks"]
    behind = client.get(LIST_URL, {"year": YEAR, "status": "behind"}).context["tasks"]
    supported = client.get(LIST_URL, {"year": YEAR, "department": district.town.pk}).context[
        "tasks"
    ]

    assert [t.pk for t in by_leader] == [led.pk]
    assert [t.pk for t in behind] == [by_principal.pk]
    assert len(supported) == 2


def test_the_list_flags_overdue_milestones(client, district, make_task):
    task = make_task()
    Milestone.objects.create(task=task, title="方案", due_date=dt.date(YEAR, 3, 1))
    client.force_login(district.user(Role.LEADER))

    response = client.get(LIST_URL, {"year": YEAR, "overdue": "on"})

    assert [t.overdue_count for t in response.context["tasks"]] == [1]
    assert 'data-overdue="1"' in response.content.decode()


# --- forms -----------------------------------------------------------------------------


def test_a_department_reports_progress_and_the_task_moves_on_track(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.DEPARTMENT_STAFF))

    response = client.post(
        reverse("keytasks:report_add", args=[task.pk]), {"text": "已召开部署会", "percent": "20"}
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Status.ON_TRACK
    assert task.reports.get().text == "已召开部署会"


@pytest.mark.parametrize("percent", ["150", "-5"])
def test_a_percent_outside_0_to_100_is_refused_with_a_message(client, district, make_task, percent):
    task = make_task()
    client.force_login(district.user(Role.DEPARTMENT_STAFF))

    response = client.post(
        reverse("keytasks:report_add", args=[task.pk]),
        {"text": "x", "percent": percent},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert any("from 0 to 100" in m for m in _messages(response))
    assert not task.reports.exists()


def test_a_report_from_another_department_is_refused_with_a_message(client, district, make_task):
    task = make_task(
        lead_department=district.other_department, supporting_departments=[district.department]
    )
    User = get_user_model()
    stranger = User.objects.create_user("stranger")
    elsewhere = Department.objects.create(name="区交通运输局", short_name="交通")
    profile_set_role(user=stranger, role=Role.DEPARTMENT_STAFF, department=elsewhere)
    # It may not even see the task: 404, nothing written.
    client.force_login(stranger)
    url = reverse("keytasks:report_add", args=[task.pk])
    assert client.post(url, {"text": "x", "percent": "10"}).status_code == 404

    # The office sees it, but does not report for a department.
    client.force_login(district.user(Role.OFFICE))
    response = client.post(url, {"text": "x", "percent": "10"}, HTTP_ACCEPT_LANGUAGE="en")
    assert any("lead and supporting departments" in m for m in _messages(response))
    assert not task.reports.exists()


def test_a_milestone_outside_the_year_is_refused_with_a_message(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("keytasks:milestone_add", args=[task.pk]),
        {"title": "方案", "due_date": f"{YEAR + 1}-01-15"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert any(f"must fall in {YEAR}" in m for m in _messages(response))
    assert not task.milestones.exists()


def test_the_leader_ticks_a_milestone_and_marks_the_task_done(client, district, make_task):
    task = make_task()
    milestone = Milestone.objects.create(task=task, title="方案", due_date=dt.date(YEAR, 3, 1))
    client.force_login(district.user(Role.LEADER))

    client.post(
        reverse("keytasks:milestone_tick", args=[task.pk, milestone.pk]),
        {"done_date": f"{YEAR}-02-27", "evidence": "区政府办发文"},
    )
    task.refresh_from_db()
    client.post(reverse("keytasks:task_complete", args=[task.pk]), {"version": task.version})

    task.refresh_from_db()
    assert task.status == Status.DONE
    assert task.milestones.get().evidence == "区政府办发文"


def test_the_office_links_a_problem_by_reference(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.OFFICE))

    response = client.post(
        reverse("keytasks:link_problem", args=[task.pk]),
        {"reference": "2025-99999"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert any("No problem has the reference" in m for m in _messages(response))


def test_the_office_adds_a_task(client, district):
    client.force_login(district.user(Role.OFFICE))

    response = client.post(
        reverse("keytasks:task_create"),
        {
            "year": YEAR,
            "number": 7,
            "title": "小城镇环境综合整治",
            "target": "全部通过省级验收",
            "leader": district.user(Role.LEADER).pk,
            "lead_department": district.department.pk,
            "supporting_departments": [district.town.pk],
        },
    )

    task = KeyTask.objects.get()
    assert response.url == reverse("keytasks:task_detail", args=[task.pk])
    assert list(task.supporting_departments.all()) == [district.town]


# --- exports ---------------------------------------------------------------------------


def test_the_xlsx_export_has_the_year_end_title(client, district, make_task):
    from openpyxl import load_workbook

    make_task(1)
    done = make_task(2)
    KeyTask.objects.filter(pk=done.pk).update(status=Status.DONE, done_at=NOW)
    client.force_login(district.user(Role.OFFICE))

    response = client.get(reverse("keytasks:year_xlsx"), {"year": YEAR}, HTTP_ACCEPT_LANGUAGE="en")

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == f"{YEAR}: 2 key tasks, 1 done"
    assert sheet["B3"].value == "喷水织机整治 1"
    assert sheet.max_row == 4


def test_the_print_page_lists_the_tasks_without_a_page_each(client, district, make_task):
    make_task(1)
    make_task(2)
    client.force_login(district.user(Role.LEADER))

    html = client.get(
        reverse("keytasks:year_print"), {"year": YEAR}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    # Each task is kept on one page where it fits (print.css); none forces a new page
    # (tests/e2e/test_key_tasks.py counts the printed pages).
    assert html.count('class="liaison-print-block') == 2
    assert "break-after" not in html
    assert f"{YEAR}: 2 key tasks, 0 done" in html


@pytest.mark.parametrize(
    ("language", "dates"),
    [
        # The milestone's due date with its weekday, and the day it was done.
        ("zh-hans", ["2025年9月30日（星期二）", "2025年6月12日"]),
        ("en", ["Tue 30 Sep 2025", "12 Jun 2025"]),
    ],
)
def test_the_task_and_its_print_give_dates_in_the_readers_language(
    client, district, make_task, office, language, dates
):
    task = make_task()
    for title, due in (("完成摸排", dt.date(2025, 9, 30)), ("制定方案", dt.date(2025, 7, 31))):
        services.milestone_add(actor=office, task_id=task.pk, title=title, due_date=due, now=NOW)
    done = task.milestones.get(title="制定方案")
    services.milestone_tick(
        actor=office, milestone_id=done.pk, done_date=dt.date(2025, 6, 12), now=NOW
    )
    client.force_login(district.user(Role.LEADER))

    for url, query in (
        (reverse("keytasks:task_detail", args=[task.pk]), {}),
        (reverse("keytasks:year_print"), {"year": YEAR}),
    ):
        html = client.get(url, query, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert all(date in visible_text(html) for date in dates), url
        assert iso_dates_in_text(html) == [], url


def test_report_files_are_served_only_to_those_who_see_the_task(
    client, district, make_task, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    task = make_task()
    report = services.progress_report_add(
        actor=district.user(Role.DEPARTMENT_STAFF),
        task_id=task.pk,
        text="见附件",
        percent=30,
        uploads=[SimpleUploadedFile("方案.pdf", b"%PDF-1.4 demo")],
        now=NOW,
    )
    url = reverse("keytasks:attachment_download", args=[report.attachments.get().pk])

    client.force_login(district.user(Role.LEADER))
    assert client.get(url).status_code == 200
    client.force_login(district.user(Role.ENTERPRISE))
    assert client.get(url).status_code == 404

    # The audit trail has the download that was served, not the one refused.
    downloads = AccessEvent.objects.filter(action=Action.DOWNLOADED_ATTACHMENT)
    assert [(e.actor, e.object_label) for e in downloads] == [
        (district.user(Role.LEADER), "方案.pdf")
    ]


# --- query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 12])
def test_the_list_counts_its_queries(
    client, district, make_task, warm_calendar, django_assert_num_queries, n
):
    for number in range(1, n + 1):
        task = make_task(number)
        Milestone.objects.create(task=task, title="方案", due_date=dt.date(YEAR, 3, 1))
    client.force_login(district.user(Role.OFFICE))

    # 1 session, 2 user, 3 profile, 4 the tasks with leader, department and milestone
    # counts, 5 their supporting departments, 6 the years, 7 the leader choices,
    # 8 the department choices (the filter form)
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL, {"year": YEAR})
    assert len(response.context["tasks"]) == n


@pytest.mark.parametrize("n", [1, 10])
def test_the_task_page_counts_its_queries(
    client, district, make_task, leader, lead_staff, warm_calendar, django_assert_num_queries, n
):
    task = make_task()
    _fill(task, leader, lead_staff, n)
    client.force_login(district.user(Role.LEADER))

    # 1 session, 2 user, 3 profile, 4 the task with counts, leader and department,
    # 5 supporting departments, 6 milestones, 7 reports with department and reporter,
    # 8 their attachments, 9 problems, 10 coordination meetings, 11 meetings to link
    with django_assert_num_queries(11 + TWO_FACTOR_DEVICE):
        response = client.get(reverse("keytasks:task_detail", args=[task.pk]))
    assert len(response.context["task"].reports.all()) == n


@pytest.mark.parametrize("n", [1, 10])
def test_the_exports_count_their_queries(
    client, district, make_task, warm_calendar, django_assert_num_queries, n
):
    for number in range(1, n + 1):
        make_task(number)
    client.force_login(district.user(Role.OFFICE))

    # 1 session, 2 user, 3 profile, 4 tasks, 5 supporting departments, 6 milestones,
    # 7 the audit trail's record of the export or the print page
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        client.get(reverse("keytasks:year_xlsx"), {"year": YEAR})
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        client.get(reverse("keytasks:year_print"), {"year": YEAR})
