"""A face-to-face meeting in the browser: planned, a problem submitted for it, dispatched
early, the meeting held (the clock starts on its date), the handling list; an invited
enterprise told, confirming on its phone.

Elements are found by URL, name and id; texts are translated with the live server's catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from issues.models import Category, Problem, Status
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from meetings.models import Meeting
from notifications.models import Notification
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.e2e.test_problem_flow import deadline_text, tr
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
    # In a minute or so, on the minute (the form has no seconds): planned ahead, and
    # marked held once it has started (step 4 waits for that).
    starts = timezone.localtime() + dt.timedelta(seconds=90)
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
    time.sleep(max(0.0, (starts - timezone.now()).total_seconds() + 1))
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
    due = deadline_text(language, problem)
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


def test_an_invited_enterprise_is_told_and_confirms_on_its_phone(open_page, world, screenshot):
    language = "zh-hans"
    starts = (timezone.localtime() + dt.timedelta(days=2)).replace(
        hour=14, minute=30, second=0, microsecond=0
    )
    enterprise_user = world.user(Role.ENTERPRISE)

    # 1. The office plans the meeting and invites the enterprise.
    office_page = open_page("desktop", language)
    log_in(office_page, USERNAMES[Role.OFFICE], PASSWORD)
    office_page.goto("/meetings/new/")
    office_page.fill("#meetingform_theme", "园区企业危废处置专题")
    office_page.fill("#meetingform_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    office_page.fill("#meetingform_venue", "区行政中心 3 楼会议室")
    office_page.check(f'input[name=enterprises][value="{world.enterprise.pk}"]')
    office_page.locator("main form button[type=submit]").click()
    expect(office_page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get()
    told = Notification.objects.get(recipient=enterprise_user, kind="meeting_invited")
    assert told.channel == "in_app"

    # 2. The enterprise, on its phone: the bell has the invitation, with date and venue.
    page = open_page("phone", language)
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto("/problems/notifications/")
    item = page.locator(f"#notification-{told.pk}")
    expect(item).to_contain_text("区行政中心 3 楼会议室")
    expect(item).to_contain_text(f"{starts.year}年{starts.month}月{starts.day}日")
    assert_fits_the_screen(page)
    screenshot(page, "meeting-invite-0-notification-phone")

    # 3. Its home page shows the meeting; it confirms from there.
    page.goto("/")
    card = page.locator(f"#upcoming-meeting-{meeting.pk}")
    expect(card).to_contain_text("园区企业危废处置专题")
    expect(card).to_contain_text("区行政中心 3 楼会议室")
    expect(card.locator(f'a[href="/problems/new/?meeting={meeting.pk}"]')).to_be_visible()
    expect(card.locator("[data-reply]")).to_have_attribute("data-reply", "none")
    assert_fits_the_screen(page)
    screenshot(page, "meeting-invite-1-home-phone")
    card.locator("button[name=attending][value=yes]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    card = page.locator(f"#upcoming-meeting-{meeting.pk}")
    expect(card.locator("[data-reply]")).to_have_attribute("data-reply", "confirmed")
    expect(page.locator(".alert-success")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "meeting-invite-2-confirmed-home-phone")
    assert meeting.invitations.get().reply == "confirmed"

    # 4. The office sees the reply on the meeting page.
    office_page.reload()
    expect(
        office_page.locator(f'[data-invitation="{world.enterprise.pk}"] [data-reply]')
    ).to_have_attribute("data-reply", "confirmed")

    # 5. The enterprise changes its mind on the meeting page; the office sees that too.
    page.goto(f"/meetings/{meeting.pk}/")
    page.locator("#meeting-reply button[name=attending][value=no]").click()
    expect(page.locator("#meeting-reply [data-reply]")).to_have_attribute("data-reply", "declined")
    assert_fits_the_screen(page)
    screenshot(page, "meeting-invite-3-declined-meeting-phone")
    office_page.reload()
    expect(
        office_page.locator(f'[data-invitation="{world.enterprise.pk}"] [data-reply]')
    ).to_have_attribute("data-reply", "declined")
    screenshot(office_page, "meeting-invite-4-replies-desktop")
