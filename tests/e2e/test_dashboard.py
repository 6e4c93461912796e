"""The leaders' dashboard in a browser: figures match the data, the year changes, numbers link."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dashboard.figures import summary_refreshed_at
from dashboard.summary import dashboard_refresh
from liaison.models import Role
from tests.dashboard.test_dashboard import world_fixture  # noqa: F401 - the data set, as `world`
from tests.e2e.test_login_and_home import assert_fits_the_screen
from tests.e2e.test_login_and_home import log_in as log_in_with_password
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def log_in(page, username: str) -> None:
    log_in_with_password(page, username, PASSWORD)  # and the leader's app code


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

    expect(page.locator("#dashboard-period")).to_contain_text("1 Jan 2025 – 31 Dec 2025")
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


def test_the_dashboard_prints_on_a4_and_says_when_its_figures_are_from(
    open_page, world, screenshot
):
    dashboard_refresh(full=True)
    as_of = timezone.localtime(summary_refreshed_at()).strftime("%-d %b %Y, %H:%M")
    page = open_page("desktop", "en")
    log_in(page, USERNAMES[Role.LEADER])
    page.goto("/dashboard/?year=2025")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-months')")
    expect(page.locator("#dashboard-printed-as-of")).to_be_hidden()

    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")

    # When and what: the summary's date and time, and the period.
    expect(page.locator("#dashboard-printed-as-of")).to_have_text(f"Figures as of {as_of}.")
    expect(page.locator("#dashboard-period")).to_contain_text("1 Jan 2025 – 31 Dec 2025")
    expect(page.locator("#dashboard-as-of")).to_be_hidden()  # the screen's, time only
    # No menu, filter or buttons; the figures, charts and tables as wide as the paper.
    for hidden in (".navbar", "details.liaison-filter", "#xlsx-link", "main .btn"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("#headline [data-stat]")).to_have_count(10)
    assert_fits_the_screen(page)
    for table in ("#league-table", "#category-table", "#town-table", "#month-table"):
        assert page.eval_on_selector(table, "t => t.scrollWidth <= t.parentElement.clientWidth")
    for chart in ("#chart-months", "#chart-departments"):
        box = page.locator(chart).bounding_box()
        assert 0 < box["width"] <= 794 and 0 < box["height"] <= 300, (chart, box)
    screenshot(page, "dashboard-print")

    # Four A4 pages since the burden-relief and appeal-type tables joined the dashboard.
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(prefer_css_page_size=True)))
    assert pages <= 4, pages
