"""Consultation before the deadline (会商) in the browser: the lead department's head asks,
on a phone, for a coordination meeting on a problem not yet due; the leader sees the
request on the home page and accepts at a desk; the meeting exists with the problem.

Elements are found by URL and id, not by their text (the catalogues change).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues import workflow
from issues.models import Category
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from meetings.models import ConsultationRequest, CoordinationMeeting
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

REASON = "涉及规划、消防、环保三个部门的审批衔接，需区领导牵头会商。"
MEETING_TITLE = "危废处置会商"
VENUE = "区行政中心三楼第二会议室"


@pytest.fixture
def hard(district, settings, tmp_path):
    """A problem dispatched an hour ago to the environment bureau and acknowledged."""
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar_load_from_package()
    workdays.invalidate()
    category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    then = timezone.now() - dt.timedelta(hours=1)
    problem = workflow.problem_submit(
        actor=district.user(Role.ENTERPRISE),
        enterprise=district.enterprise,
        title="喷涂车间扩建涉及多部门审批",
        description="扩建项目需规划、消防、环评同步审批，部门间衔接不畅。",
        category=category,
        now=then,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=district.user(Role.OFFICE),
        lead_department=district.department,
        now=then,
    )
    problem = workflow.problem_acknowledge(
        problem_id=problem.pk, actor=district.user(Role.DEPARTMENT_HEAD), now=then
    )
    yield problem
    workdays.invalidate()


def test_the_department_asks_and_the_leader_accepts(open_page, district, hard, screenshot):
    # The department head, on a phone: the problem page's consultation form.
    phone = open_page("phone", "en")
    log_in(phone, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    phone.goto(f"/problems/{hard.reference}/")
    phone.fill("#consultation-reason-input", REASON)
    assert_fits_the_screen(phone)
    screenshot(phone, "consultation-ask-phone")
    phone.locator("#consultation-form button[type=submit]").click()
    consultation = ConsultationRequest.objects.get()
    expect(phone.locator(f"#consultation-{consultation.pk}")).to_contain_text(REASON)
    expect(phone.locator("#consultation-form")).to_have_count(0)
    screenshot(phone, "consultation-asked-phone")

    # The leader, at a desk: the home page says a department asks; accept.
    page = open_page("desktop", "en")
    log_in(page, USERNAMES[Role.LEADER], PASSWORD)
    page.goto("/")
    page.locator("#home-consultations a").click()
    page.locator(f"#consultation-{consultation.pk}").click()
    expect(page.locator("#consultation-reason")).to_have_text(REASON)
    starts = timezone.localtime() + dt.timedelta(days=1)
    page.fill("#acceptform_title", MEETING_TITLE)
    page.fill("#acceptform_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#acceptform_venue", VENUE)
    screenshot(page, "consultation-answer-desktop")
    page.locator("#accept-form button[type=submit]").click()

    meeting = CoordinationMeeting.objects.get()
    expect(page).to_have_url(
        f"{page.url.split('/meetings/')[0]}/meetings/coordination/{meeting.pk}/"
    )
    expect(page.locator("h1")).to_have_text(MEETING_TITLE)
    assert list(meeting.problems.all()) == [hard]
    consultation.refresh_from_db()
    assert (consultation.state, consultation.meeting) == (
        ConsultationRequest.State.ACCEPTED,
        meeting,
    )
    screenshot(page, "consultation-meeting-desktop")

    # The department sees the meeting on the problem page.
    phone.goto(f"/problems/{hard.reference}/")
    expect(phone.locator("#problem-coordination")).to_contain_text(MEETING_TITLE)
    expect(phone.locator("#consultation-form")).to_have_count(0)  # accepted: no new request
    assert_fits_the_screen(phone)
    screenshot(phone, "consultation-problem-phone")


def test_the_department_withdraws_its_waiting_request_after_confirming(
    open_page, district, hard, screenshot
):
    """On a phone, in Chinese: "Cancel" in the confirmation sends nothing; "OK" withdraws,
    and the form to ask again comes back."""
    phone = open_page("phone", "zh-hans")
    log_in(phone, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    phone.goto(f"/problems/{hard.reference}/")
    phone.fill("#consultation-reason-input", REASON)
    phone.locator("#consultation-form button[type=submit]").click()
    consultation = ConsultationRequest.objects.get()
    withdraw = phone.locator(f"#withdraw-consultation-{consultation.pk} button")
    expect(withdraw).to_be_visible()
    assert_fits_the_screen(phone)
    screenshot(phone, "consultation-withdraw-phone")

    phone.once("dialog", lambda dialog: dialog.dismiss())
    withdraw.click()
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.PENDING

    phone.once("dialog", lambda dialog: dialog.accept())
    withdraw.click()
    expect(phone.locator("#consultation-form")).to_have_count(1)
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.WITHDRAWN
    expect(phone.locator(f"#consultation-{consultation.pk}")).to_contain_text("已撤回")
    assert_fits_the_screen(phone)
    screenshot(phone, "consultation-withdrawn-phone")
