"""In the browser: a department official opens an enterprise's problem and exports the
heads' contact list; the liaison office then finds those reads in the audit trail, on a
desktop (from its user menu) and on a phone.

The official signs in with a password and an authenticator app's code (log_in), so the
trail holds both steps of the sign-in too.
"""

from __future__ import annotations

import pytest

from issues import workflow
from issues.models import Category
from liaison.models import Role
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_user_menu
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

STAFF = USERNAMES[Role.DEPARTMENT_STAFF]


@pytest.fixture
def problem(district):
    """The enterprise's problem, dispatched to the official's department."""
    category = Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=district.department
    )
    problem = workflow.problem_submit(
        actor=district.user(Role.ENTERPRISE),
        enterprise=district.enterprise,
        title="危废处置渠道不畅",
        description="喷漆车间产生的漆渣无处处置，库存已近上限。",
        category=category,
    )
    return workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=district.user(Role.OFFICE),
        lead_department=district.department,
    )


def test_the_office_finds_an_officials_reads_and_export(open_page, screenshot, problem):
    official = open_page("desktop", "zh-hans")
    log_in(official, STAFF, PASSWORD)
    expect(official.locator("#user-menu-toggle")).to_be_attached()
    official.goto(f"/problems/{problem.reference}/")
    expect(official.locator("main")).to_contain_text(problem.title)
    official.goto("/meetings/lists/contacts/")
    with official.expect_download() as download:
        official.locator("#xlsx-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    office = open_page("desktop", "en")
    log_in(office, USERNAMES[Role.OFFICE], PASSWORD)
    open_user_menu(office)
    office.locator(".dropdown-menu a[href='/audit/']").click()
    expect(office.locator("h1")).to_have_text("Audit trail")
    office.locator("details.liaison-filter summary").click()
    office.fill("#id_person", STAFF)
    office.locator("main form button[type=submit]").click()
    office.wait_for_load_state()

    rows = office.locator("#audit-access tbody tr")
    # newest first: export, list view, problem, the second step, the password
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Exported")
    expect(rows.nth(0)).to_contain_text(".xlsx")
    expect(rows.nth(1)).to_contain_text("Viewed a published list")
    expect(rows.nth(2)).to_contain_text("Viewed a problem")
    expect(rows.nth(2)).to_contain_text(problem.reference)
    expect(rows.nth(2)).to_contain_text(problem.enterprise.name)
    expect(rows.nth(3)).to_contain_text("Two-factor check passed")
    expect(rows.nth(4)).to_contain_text("Signed in")
    expect(rows.nth(2)).to_contain_text("Department staff")
    screenshot(office, "audit-desktop-en")

    phone = open_page("phone", "zh-hans")
    log_in(phone, USERNAMES[Role.OFFICE], PASSWORD)
    phone.goto(f"/audit/?person={STAFF}&action=viewed_problem")
    cards = phone.locator("#audit-access-cards .list-group-item")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("查看问题")
    expect(cards.first).to_contain_text(problem.reference)
    expect(phone.locator("#audit-access")).to_be_hidden()  # the table is for wide screens
    assert_fits_the_screen(phone)
    screenshot(phone, "audit-phone-zh")
