"""A refused form in the browser: the user's input stays, focus goes to what to correct."""

from __future__ import annotations

import re

import pytest

from issues import workflow
from issues.models import Problem, Satisfaction, Status
from liaison.models import Role
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in

# `world`: the district, a calendar and a category (a fixture, used by name).
from tests.e2e.test_problem_flow import expect_problem_page, problem_url, tr, world  # noqa: F401
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

REASON = "收运频次仍不能满足生产需要。"


@pytest.fixture
def answered(world):  # noqa: F811
    """A problem of the enterprise, answered by the department: waiting for its evaluation."""
    enterprise = world.user(Role.ENTERPRISE)
    staff = world.user(Role.DEPARTMENT_STAFF)
    problem = workflow.problem_submit(
        actor=enterprise,
        enterprise=enterprise.profile.enterprise,
        title="危废漆渣无处处置",
        description="喷漆车间漆渣库存已近上限。",
        category=world.category,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=world.user(Role.OFFICE), lead_department=world.department
    )
    workflow.problem_acknowledge(problem_id=problem.pk, actor=staff)
    workflow.problem_resolve(problem_id=problem.pk, actor=staff, answer="已协调处置单位上门收运。")
    return Problem.objects.get(pk=problem.pk)


def focused(page) -> dict:
    return page.evaluate(
        """() => ({
            id: document.activeElement.id,
            summary: document.activeElement.hasAttribute("data-error-summary"),
            role: document.activeElement.getAttribute("role"),
        })"""
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_unsatisfied_evaluation_without_a_reason_keeps_the_choice_and_asks_why(
    open_page, answered, screenshot, language, viewport
):
    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto(problem_url(answered.reference))
    evaluate = page.locator('main form[action$="/evaluate/"]')
    unsatisfied = evaluate.locator(f'input[name=satisfaction][value="{Satisfaction.UNSATISFIED}"]')
    unsatisfied.check()

    evaluate.locator("button[type=submit]").click()

    # Refused: the problem page again, the choice kept, focus on the summary of errors.
    expect(page).to_have_url(re.compile(r"/evaluate/$"))
    expect_problem_page(page, language, Status.RESOLVED)
    evaluate = page.locator('main form[action$="/evaluate/"]')
    unsatisfied = evaluate.locator(f'input[name=satisfaction][value="{Satisfaction.UNSATISFIED}"]')
    expect(unsatisfied).to_be_checked()
    summary = evaluate.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert focused(page) == {"id": "", "summary": True, "role": "alert"}
    why = tr(language, "Say why you are not satisfied.")
    expect(summary).to_contain_text(why)
    reason = evaluate.locator("textarea[name=reason]")
    expect(reason).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#evaluateform_reason_error")).to_have_text(why)
    # No banner at the top of the page: the error is where the answer is asked for.
    expect(page.locator(".liaison-messages")).to_have_count(0)
    assert_fits_the_screen(page)
    screenshot(page, f"refused-evaluation-{language}-{viewport}")

    # The summary's link leads to the field; with a reason, the problem goes back.
    summary.locator("a").click()
    expect(reason).to_be_focused()
    reason.fill(REASON)
    evaluate.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(re.escape(problem_url(answered.reference)) + "$"))
    expect_problem_page(page, language, Status.IN_PROGRESS)
    answered.refresh_from_db()
    assert (answered.status, answered.reopen_count) == (Status.IN_PROGRESS, 1)


def test_a_refused_submission_puts_focus_on_its_summary(open_page, world, screenshot):  # noqa: F811
    page = open_page("phone", "en")
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto("/problems/new/")
    page.fill("#id_title", "Electricity price")

    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/problems/new/$"))
    summary = page.locator("main form [data-error-summary]")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    expect(links).to_have_count(2)  # the category and the description; the title is kept
    expect(page.locator("#id_title")).to_have_value("Electricity price")
    links.first.click()
    expect(page.locator("#id_category")).to_be_focused()
    assert Problem.objects.count() == 0
    assert_fits_the_screen(page)
    screenshot(page, "refused-submission-en-phone")
