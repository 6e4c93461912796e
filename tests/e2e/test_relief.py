"""Burden relief (减负) in a browser: a department records two lines with its answer, and
the leader reads the year's total on the dashboard, in Chinese on a phone and in English."""

from __future__ import annotations

import pytest

from issues import workflow
from issues.models import ReliefOutcome
from liaison.models import Role
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.e2e.test_problem_flow import action_form, problem_url
from tests.e2e.test_problem_flow import world as world  # noqa: F401 - the fixture
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def in_progress(district):
    """A problem of this year, dispatched to the environment department and acknowledged."""
    world = district
    problem = workflow.problem_submit(
        actor=world.users[Role.ENTERPRISE],
        enterprise=world.enterprise,
        title="油漆废液和废抹布无处处置",
        description="库存油漆废液和废油漆抹布已近上限，不知如何处置。",
        category=world.category,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=world.users[Role.OFFICE], lead_department=world.department
    )
    workflow.problem_acknowledge(problem_id=problem.pk, actor=world.users[Role.DEPARTMENT_STAFF])
    return problem


def test_a_department_records_relief_and_the_leader_sees_it(open_page, world, screenshot):
    problem = in_progress(world)

    staff = open_page("desktop", "en")
    log_in(staff, USERNAMES[Role.DEPARTMENT_STAFF], PASSWORD)
    staff.goto(problem_url(problem.reference))
    resolve = action_form(staff, "resolve")
    resolve.locator("textarea[name=answer]").fill("已协调处置单位接收库存油漆废液和废抹布。")
    resolve.locator("select[name=relief-0-kind]").select_option("tax_fees")
    resolve.locator("input[name=relief-0-amount]").fill("19610000")
    resolve.locator("select[name=relief-1-kind]").select_option("power")
    resolve.locator("input[name=relief-1-amount]").fill("910000")
    resolve.locator("input[name=relief-1-firms]").fill("3")
    screenshot(staff, "relief-0-answer-form-en-desktop")
    resolve.locator("button[type=submit]").click()

    outcomes = staff.locator("#relief-outcomes")
    expect(outcomes).to_contain_text("19,610,000 yuan")
    expect(outcomes).to_contain_text("Electricity")
    assert sorted(ReliefOutcome.objects.values_list("kind", flat=True)) == ["power", "tax_fees"]
    screenshot(staff, "relief-1-answered-en-desktop")

    phone = open_page("phone", "zh-hans")
    log_in(phone, USERNAMES[Role.LEADER], PASSWORD)
    phone.goto("/dashboard/")
    headline = phone.locator("#relief-headline")
    expect(headline).to_have_text("为企业减负 2,052 万元")
    expect(phone.locator("#relief-kinds")).to_contain_text("税费")
    headline.scroll_into_view_if_needed()
    assert_fits_the_screen(phone)
    screenshot(phone, "relief-2-dashboard-zh-phone")

    desktop = open_page("desktop", "en")
    log_in(desktop, USERNAMES[Role.LEADER], PASSWORD)
    desktop.goto("/dashboard/")
    expect(desktop.locator("#relief-headline")).to_have_text(
        "Relieved enterprises of 20,520,000 yuan"
    )
    expect(desktop.locator("#relief-departments")).to_contain_text(world.department.name)
    desktop.locator("#relief-panel").scroll_into_view_if_needed()
    screenshot(desktop, "relief-3-dashboard-en-desktop")
