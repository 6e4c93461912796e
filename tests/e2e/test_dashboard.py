"""The leaders' dashboard in a browser: figures match the data, the year changes, numbers link."""

from __future__ import annotations

import pytest

from liaison.dashboard import dashboard_refresh
from liaison.models import Role
from tests.liaison.conftest import PASSWORD, USERNAMES
from tests.liaison.test_dashboard import world_fixture  # noqa: F401 - the data set, as `world`

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()


def stat(page, key: str):
    return page.locator(f'#headline [data-stat="{key}"]')


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_leader_reads_the_dashboard_and_follows_a_number(open_page, world, screenshot, viewport):
    dashboard_refresh(full=True)  # the whole-year figures come from the summary
    page = open_page(viewport, "en")
    log_in(page, USERNAMES[Role.LEADER])
    page.goto("/dashboard/")
    expect(page.locator("h1")).to_contain_text("Dashboard")

    # The data set was received in 2025; this year's dashboard is empty. Change the year.
    page.locator("details.liaison-filter > summary").click()
    page.select_option("#id_year", "2025")
    page.locator("#dashboard-filter button[type=submit]").click()

    expect(page.locator("#dashboard-period")).to_contain_text("2025-01-01 – 2025-12-31")
    expect(stat(page, "received")).to_have_text("8")
    expect(stat(page, "accepted")).to_have_text("6")
    expect(stat(page, "concluded")).to_have_text("4")
    expect(stat(page, "conclusion_rate")).to_have_text("66.7%")
    expect(stat(page, "on_time_rate")).to_have_text("75.0%")
    expect(stat(page, "satisfaction_rate")).to_have_text("66.7%")
    expect(stat(page, "handling")).to_have_text("5.5")
    expect(page.locator("#dashboard-as-of")).to_contain_text("(refreshed every minute)")
    expect(page.locator("#escalated-list")).to_contain_text(world["problems"][4].reference)
    # Chart.js drew both charts from the json_script data.
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-months')")
    assert page.evaluate("() => Chart.getChart('chart-departments').data.labels.length") == 2
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    screenshot(page, f"dashboard-{viewport}")

    stat(page, "concluded").click()
    page.wait_for_url("**/problems/?**")
    expect(page.locator("main")).to_contain_text("4 problems")
    references = page.locator("main").inner_text()
    for number in (1, 2, 3, 8):
        assert world["problems"][number].reference in references
    assert world["problems"][4].reference not in references
    screenshot(page, f"dashboard-concluded-list-{viewport}")
