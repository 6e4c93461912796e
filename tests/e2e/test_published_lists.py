"""In the browser: an enterprise reads the heads' contact list on a phone; the office reads
last year's meeting statistics, which reproduce the programme's report (9 / 73 / 180 / 100%).

The demo district and its past year come from the real seed steps (meetings.demo).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from dashboard.management.commands import seed_demo
from liaison import demo_data, workdays
from liaison.services import calendar_load_from_package
from meetings import demo
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

PAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def demo_district(transactional_db):
    """The demo's people, organisations and past year (the live server's flush took the
    calendar a migration loads, so it is loaded again first)."""
    calendar_load_from_package()
    workdays.invalidate()
    district = seed_demo.DemoDistrict()
    for step in (
        seed_demo.seed_officials,
        seed_demo.seed_departments,
        seed_demo.seed_department_users,
        seed_demo.seed_enterprises,
        demo.seed_meetings,
    ):
        step(district)
    yield district
    workdays.invalidate()


def test_an_enterprise_reads_the_contact_list_on_a_phone(open_page, screenshot, demo_district):
    page = open_page("phone", "zh-hans")
    log_in(page, "ent01", demo_data.DEMO_PASSWORD)
    expect(page.locator("#user-menu-toggle")).to_be_attached()

    page.goto("/meetings/lists/contacts/")

    cards = page.locator("#contacts-cards .list-group-item")
    expect(cards).to_have_count(len(demo_data.DEPARTMENTS))
    expect(page.locator("#contacts-table")).to_be_hidden()  # the table is for wide screens
    first = cards.first
    expect(first).to_contain_text("区发改局")
    expect(first).to_contain_text("杨志强")
    head_phone = demo_data.mobile_for("fgj_head")
    expect(first.locator(f'a[href="tel:{head_phone}"]')).to_be_visible()
    expect(page.locator("#xlsx-link")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "published-contacts-phone-zh")
    page.screenshot(path=str(ARTIFACTS / "published-contacts-phone-zh-first-screen.png"))

    page.locator(".nav-pills a[href='/meetings/lists/guidance/']").click()
    expect(page.locator("#guidance-table")).to_contain_text("危险废物处置政策咨询与转运对接")
    assert_fits_the_screen(page)
    screenshot(page, "published-guidance-phone-zh")


def test_the_office_sees_last_years_meetings_as_in_the_report(open_page, screenshot, demo_district):
    page = open_page("desktop", "zh-hans")
    log_in(page, "office1", demo_data.DEMO_PASSWORD)
    expect(page.locator("#user-menu-toggle")).to_be_attached()
    page.goto("/meetings/statistics/")

    page.select_option("#id_year", str(PAST_YEAR))
    page.locator("#year-picker button[type=submit]").click()

    page.wait_for_url(f"**/meetings/statistics/?year={PAST_YEAR}")
    for key, value in (
        ("meetings_held", "9"),
        ("enterprises_attended", "73"),
        ("problems", "180"),
        ("concluded", "180"),
        ("on_time", "180"),
        ("conclusion_rate", "100%"),
    ):
        expect(page.locator(f'[data-stat="{key}"]')).to_have_text(value)
    rows = page.locator("#meeting-table tbody tr")
    expect(rows).to_have_count(9)
    expect(rows.nth(1)).to_contain_text("重大项目落地")
    expect(rows.nth(1)).to_contain_text("30")
    screenshot(page, "meeting-statistics-desktop-zh")

    # Printed, the contact list is the table alone: no menu, buttons or cards.
    page.goto("/meetings/lists/contacts/")
    page.emulate_media(media="print")
    expect(page.locator("#contacts-table")).to_be_visible()
    expect(page.locator("#contacts-cards")).to_be_hidden()
    expect(page.locator("#print-button")).to_be_hidden()
    expect(page.locator(".navbar")).to_be_hidden()
    screenshot(page, "published-contacts-print")
    page.emulate_media(media="screen")

    phone = open_page("phone", "zh-hans")
    log_in(phone, "office1", demo_data.DEMO_PASSWORD)
    expect(phone.locator("#user-menu-toggle")).to_be_attached()
    phone.goto(f"/meetings/statistics/?year={PAST_YEAR}")
    expect(phone.locator('[data-stat="enterprises_attended"]')).to_have_text("73")
    expect(phone.locator("#meeting-table")).to_be_hidden()
    expect(phone.locator("#meeting-cards .list-group-item")).to_have_count(9)
    assert_fits_the_screen(phone)
    screenshot(phone, "meeting-statistics-phone-zh")
