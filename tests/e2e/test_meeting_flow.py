"""A face-to-face meeting in the browser: planned, a problem submitted for it, dispatched
early, the meeting held (the clock starts on its date), the handling list.

Elements are found by URL, name and id; texts are translated with the live server's catalogue.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from issues.models import Category, Problem, Status
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from meetings.models import Meeting
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.e2e.test_problem_flow import tr
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

TITLE = "喷涂车间危废漆渣无处处置"


@pytest.fixture
def world(district):
    calendar_load_from_package()
    workdays.invalidate()
    district.category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    yield district
    workdays.invalidate()


def test_it_takes_a_meeting_from_invitation_to_the_handling_list(open_page, world, screenshot):
    language = "zh-hans"
    # Later today (the meeting can be marked held from its day on), on the minute.
    starts = timezone.localtime() + dt.timedelta(minutes=3)
    starts = starts.replace(second=0, microsecond=0)

    # 1. The office plans the meeting and invites the enterprise.
    office_page = open_page("desktop", language)
    log_in(office_page, USERNAMES[Role.OFFICE], PASSWORD)
    office_page.goto("/meetings/")
    office_page.locator("#meeting-create").click()
    office_page.fill("#meetingform_theme", "园区企业危废处置专题")
    office_page.fill("#meetingform_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    office_page.fill("#meetingform_venue", "区行政中心 3 楼会议室")
    office_page.check(f'input[name=presiding_leaders][value="{world.user(Role.LEADER).pk}"]')
    office_page.check(f'input[name=departments][value="{world.department.pk}"]')
    office_page.check(f'input[name=enterprises][value="{world.enterprise.pk}"]')
    office_page.locator("main form button[type=submit]").click()

    expect(office_page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get()
    assert meeting.starts_at == starts
    assert list(meeting.enterprises.all()) == [world.enterprise]
    expect(office_page.locator("#meeting-status")).to_contain_text(
        tr(language, Meeting.Status.PLANNED.label)
    )

    # 2. The enterprise, on its phone, submits a problem for the meeting.
    enterprise_page = open_page("phone", language)
    log_in(enterprise_page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    enterprise_page.goto("/meetings/")
    enterprise_page.locator(f'main a[href="/meetings/{meeting.pk}/"]').click()
    assert_fits_the_screen(enterprise_page)
    screenshot(enterprise_page, "meeting-0-invited-enterprise-phone")
    enterprise_page.locator("#meeting-submit").click()
    expect(enterprise_page.locator("#id_meeting")).to_have_value(str(meeting.pk))
    enterprise_page.fill("#id_title", TITLE)
    enterprise_page.select_option("#id_category", str(world.category.pk))
    enterprise_page.fill("#id_description", "喷漆车间每月约 2 吨漆渣，原处置单位停止收运。")
    enterprise_page.locator("main form button[type=submit]").click()
    expect(enterprise_page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    problem = Problem.objects.get()
    assert problem.meeting == meeting
    expect(enterprise_page.locator("#problem-meeting")).to_contain_text(meeting.theme)

    # 3. The office dispatches it early: the clock waits for the meeting.
    office_page.goto(f"/problems/{problem.reference}/")
    office_page.locator('main form[action$="/dispatch/"] button[type=submit]').click()
    expect(office_page.locator("#problem-status")).to_have_text(
        tr(language, Status.DISPATCHED.label)
    )
    expect(office_page.locator("#problem-deadline [data-clock-waits]")).to_be_visible()
    problem.refresh_from_db()
    assert problem.due_at is None and problem.clock_started_at is None

    # 4. After it starts, the office marks the meeting held, with attendance.
    office_page.goto(f"/meetings/{meeting.pk}/")
    office_page.locator("#mark-held summary").click()
    checkbox = office_page.locator(
        f'#mark-held input[name=attended][value="{world.enterprise.pk}"]'
    )
    expect(checkbox).to_be_checked()
    office_page.locator("#mark-held button[type=submit]").click()
    expect(office_page.locator("#meeting-status")).to_contain_text(
        tr(language, Meeting.Status.HELD.label)
    )
    problem.refresh_from_db()
    assert problem.clock_started_at == starts
    assert problem.due_at == workdays.deadline_after(starts, 10).value
    assert meeting.invitations.get().attended is True
    screenshot(office_page, "meeting-1-held-desktop")

    # 5. The handling list shows the problem with its deadline, on a desk and a phone.
    due = workdays.local_date(problem.due_at).isoformat()
    office_page.locator("#meeting-handling-list").click()
    row = office_page.locator(f"#handling-row-{problem.pk}")
    expect(row).to_contain_text(problem.reference)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(world.department.name)
    expect(row.locator("[data-deadline]")).to_contain_text(due)
    assert_fits_the_screen(office_page)
    screenshot(office_page, "meeting-2-handling-list-desktop")
    with office_page.expect_download() as download:
        office_page.locator("#handling-list-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    phone = open_page("phone", language)
    log_in(phone, USERNAMES[Role.OFFICE], PASSWORD)
    phone.goto(f"/meetings/{meeting.pk}/handling-list/")
    card = phone.locator(f"#handling-card-{problem.pk}")
    expect(card).to_be_visible()
    expect(card).to_contain_text(TITLE)
    expect(card.locator("[data-deadline]")).to_contain_text(due)
    assert_fits_the_screen(phone)
    screenshot(phone, "meeting-3-handling-list-phone")
    phone.goto(f"/meetings/{meeting.pk}/")
    assert_fits_the_screen(phone)
    screenshot(phone, "meeting-4-detail-phone")
