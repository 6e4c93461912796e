"""A coordination meeting in the browser: a leader convenes one from "My escalations" for an
escalated problem and decides an action item; the department head ticks it off on the
desk; the problem page shows the meeting and the done item.

Elements are found by URL and id, not by their text (the catalogues change).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues import deadlines, workflow
from issues.models import Category, Problem
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from meetings.models import ActionItem, CoordinationMeeting
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

MEETING_TITLE = "危废处置专题协调会"
VENUE = "区行政中心三楼第二会议室"
TASK = "三日内对接持证处置单位，明确收运计划并告知企业。"
NOTE = "已与市危废处置中心签订收运协议。"


@pytest.fixture
def escalated(district, settings, tmp_path):
    """A problem dispatched a month ago to the environment bureau, then escalated."""
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar_load_from_package()
    workdays.invalidate()
    category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    then = timezone.now() - dt.timedelta(days=30)
    problem = workflow.problem_submit(
        actor=district.user(Role.ENTERPRISE),
        enterprise=district.enterprise,
        title="喷涂车间危废漆渣无处处置",
        description="原处置单位停止收运，库存已近上限。",
        category=category,
        now=then,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=district.user(Role.OFFICE),
        lead_department=district.department,
        now=then + dt.timedelta(hours=1),
    )
    workflow.problem_acknowledge(
        problem_id=problem.pk,
        actor=district.user(Role.DEPARTMENT_HEAD),
        now=then + dt.timedelta(hours=2),
    )
    deadlines.sweep()  # overdue: escalated to the bureau's supervising leader
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.escalation_level == 1
    yield problem
    workdays.invalidate()


def test_a_leader_convenes_and_a_department_ticks_off(open_page, district, escalated, screenshot):
    # The leader, at a desk: "My escalations" -> convene for the problem.
    page = open_page("desktop", "en")
    log_in(page, USERNAMES[Role.LEADER], PASSWORD)
    page.goto("/problems/escalations/")
    page.locator(f"#convene-{escalated.pk}").click()
    expect(page.locator(f'main input[name=problems][value="{escalated.pk}"]')).to_be_checked()
    expect(
        page.locator(f'main input[name=departments][value="{district.department.pk}"]')
    ).to_be_checked()
    starts = timezone.localtime() + dt.timedelta(hours=1)
    page.fill("#conveneform_title", MEETING_TITLE)
    page.fill("#conveneform_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#conveneform_venue", VENUE)
    screenshot(page, "coordination-convene-desktop")
    page.locator("main form button[type=submit]").click()

    meeting = CoordinationMeeting.objects.get()
    expect(page).to_have_url(
        f"{page.url.split('/meetings/')[0]}/meetings/coordination/{meeting.pk}/"
    )
    expect(page.locator("h1")).to_have_text(MEETING_TITLE)

    # An action item for the environment bureau, due in three days.
    add_form = page.locator('main form[action$="/items/"]')
    if not add_form.is_visible():
        page.locator("main details", has=add_form).locator("summary").click()
    add_form.locator("#actionitemform_department").select_option(str(district.department.pk))
    add_form.locator("#actionitemform_task").fill(TASK)
    due = timezone.localdate() + dt.timedelta(days=3)
    add_form.locator("#actionitemform_due_date").fill(due.isoformat())
    add_form.locator("button[type=submit]").click()
    item = ActionItem.objects.get()
    expect(page.locator(f"#action-item-{item.pk}")).to_contain_text(TASK)
    assert (item.department, item.problem_id, item.due_date) == (
        district.department,
        escalated.pk,
        due,
    )
    screenshot(page, "coordination-meeting-desktop")

    # The department head, on a phone: the desk lists the item; tick it off.
    phone = open_page("phone", "en")
    log_in(phone, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    phone.goto("/problems/department/")
    desk_item = phone.locator(f"#desk-action-items #action-item-{item.pk}")
    expect(desk_item).to_contain_text(TASK)
    assert_fits_the_screen(phone)
    screenshot(phone, "coordination-desk-phone")
    desk_item.locator(f"#action-item-note-{item.pk}").fill(NOTE)
    desk_item.locator("button[type=submit]").click()
    expect(phone.locator("#desk-action-items")).to_have_count(0)  # nothing left to do
    item.refresh_from_db()
    assert (item.done, item.note) == (True, NOTE)

    # The problem page shows the meeting and the done item, on the phone and the desk.
    phone.goto(f"/problems/{escalated.reference}/")
    panel = phone.locator("#problem-coordination")
    expect(panel).to_contain_text(MEETING_TITLE)
    expect(panel.locator(f"#action-item-{item.pk}")).to_have_attribute("data-done", "1")
    expect(panel.locator(f"#action-item-{item.pk}")).to_contain_text(NOTE)
    assert_fits_the_screen(phone)
    screenshot(phone, "coordination-problem-phone")

    page.goto(f"/problems/{escalated.reference}/")
    expect(page.locator("#problem-coordination")).to_contain_text(MEETING_TITLE)
    screenshot(page, "coordination-problem-desktop")
    page.goto("/meetings/coordination/")
    expect(page.locator(f"#coordination-{meeting.pk}")).to_be_visible()
    screenshot(page, "coordination-list-desktop")
