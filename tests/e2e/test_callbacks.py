"""Call-backs (回访) in the browser: the office finds an answered problem in its queue,
records the enterprise's "unsatisfied" from the telephone, and its review reopens it.

Elements are found by URL, name and id, not by their text (the catalogues change).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from issues import workflow
from issues.models import CallBack, Category, EvaluationSource, Problem, Status
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture
def answered(district):
    """A problem registered by phone for the enterprise, answered a day ago."""
    calendar_load_from_package()
    workdays.invalidate()
    category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    users = district.users
    start = timezone.now() - dt.timedelta(days=2)
    problem = workflow.problem_submit(
        actor=users[Role.OFFICE],
        enterprise=district.enterprise,
        title="雨污管网接入审批进度慢",
        description="新建车间的雨污管网接入申请已提交一个月，尚无答复。",
        category=category,
        channel="phone",
        now=start,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=users[Role.OFFICE],
        lead_department=district.department,
        now=start,
    )
    workflow.problem_acknowledge(
        problem_id=problem.pk, actor=users[Role.DEPARTMENT_STAFF], now=start
    )
    workflow.problem_resolve(
        problem_id=problem.pk,
        actor=users[Role.DEPARTMENT_STAFF],
        answer="已安排专人对接，本周内完成审批。",
        now=start + dt.timedelta(days=1),
    )
    yield Problem.objects.get(pk=problem.pk)
    workdays.invalidate()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_office_calls_back_and_reopens_an_unsatisfied_answer(
    open_page, answered, screenshot, viewport
):
    page = open_page(viewport, "zh-hans")
    log_in(page, USERNAMES[Role.OFFICE], PASSWORD)
    open_menu(page, viewport)
    page.locator('#main-menu a[href="/problems/call-backs/"]').click()
    expect(page).to_have_url(re.compile(r"/problems/call-backs/$"))
    assert_fits_the_screen(page)
    screenshot(page, f"callbacks-0-queue-{viewport}")

    callback_url = f"/problems/{answered.reference}/call-back/"
    page.locator(f'main a[href="{callback_url}"]').click()
    expect(page).to_have_url(re.compile(re.escape(callback_url) + "$"))
    page.locator('input[name="outcome"][value="reached"]').check()
    page.locator('input[name="satisfaction"][value="unsatisfied"]').check()
    page.fill("#callbackform_said", "企业表示审批仍未完成，对答复不满意。")
    assert_fits_the_screen(page)
    screenshot(page, f"callbacks-1-form-{viewport}")
    page.locator("#callback-submit").click()
    expect(page).to_have_url(re.compile(r"/problems/call-backs/$"))
    callback = CallBack.objects.get(problem=answered)
    assert callback.review == CallBack.Review.PENDING
    assert callback.said == "企业表示审批仍未完成，对答复不满意。"

    page.locator('#callback-tabs a[href="?tab=review"]').click()
    page.locator(f'main a[href="{callback_url}"]').click()
    expect(page.locator("#callback-review")).to_be_visible()
    page.locator('input[name="decision"][value="reopen"]').check()
    page.fill("#callbackreviewform_reason", "请主办单位再次核实审批进度并答复企业。")
    assert_fits_the_screen(page)
    screenshot(page, f"callbacks-2-review-{viewport}")
    page.locator("#callback-review-submit").click()
    expect(page).to_have_url(re.compile(rf"/problems/{answered.reference}/$"))
    expect(page.locator("#problem-status")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, f"callbacks-3-reopened-{viewport}")

    problem = Problem.objects.get(pk=answered.pk)
    assert problem.status == Status.IN_PROGRESS
    assert problem.reopen_count == 1
    assert problem.evaluation_source == EvaluationSource.CALLBACK
    callback.refresh_from_db()
    assert callback.review == CallBack.Review.REOPENED
