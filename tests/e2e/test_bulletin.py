"""The monthly bulletin in a browser: a leader opens the month's bulletin from the dashboard
on a phone (zh) and reads it; on a desktop (en) prints it on A4."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard.bulletin import services
from liaison.models import Role
from tests.dashboard.test_dashboard import (
    NOW,
    world_fixture,  # noqa: F401 - the data set, as `world`
)
from tests.e2e.test_login_and_home import assert_fits_the_screen, open_menu
from tests.e2e.test_login_and_home import log_in as log_in_with_password
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

FOREWORD = "四月份各单位办结情况总体良好。生态环境分局有问题超期未办结，请抓紧办理。"


@pytest.fixture
def april(world):
    bulletin, _ = services.bulletin_generate(month=dt.date(2025, 4, 1), now=NOW)
    office = world["district"].users[Role.OFFICE]
    return services.bulletin_publish(bulletin_id=bulletin.pk, by=office, foreword=FOREWORD)


def test_a_leader_opens_the_months_bulletin_on_a_phone(open_page, world, april, screenshot):
    page = open_page("phone", "zh-hans")
    log_in_with_password(page, USERNAMES[Role.LEADER], PASSWORD)
    open_menu(page, "phone")
    # The Dashboard menu: the dashboard, the department assessment, the monthly bulletins.
    page.locator("#dashboard-menu-toggle").click()
    page.locator("#menu-bulletins").click()
    expect(page.locator("h1")).to_have_text("月度通报")
    page.locator("#bulletin-2025-04 a").click()

    expect(page.locator("#bulletin-title")).to_have_text("2025年4月月度通报")
    expect(page.locator("#bulletin-foreword")).to_contain_text("请抓紧办理")
    expect(page.locator('#bulletin-headline [data-stat="received"]')).to_have_text("2")
    expect(page.locator('#bulletin-headline [data-stat="on_time_rate"]')).to_have_text("100.0")
    expect(page.locator("#hotspot-categories")).to_contain_text("用工")
    expect(page.locator("#departments-below")).to_contain_text("超期问题过多")
    expect(page.locator("#overdue-problems")).to_contain_text(world["problems"][4].reference)
    expect(page.locator("#foreword-form")).to_have_count(0)  # published; and not the office
    assert_fits_the_screen(page)
    screenshot(page, "bulletin-phone-zh")


def test_a_leader_prints_the_bulletin_on_a4(open_page, world, april, screenshot):
    page = open_page("desktop", "en")
    log_in_with_password(page, USERNAMES[Role.LEADER], PASSWORD)
    page.goto("/bulletins/2025-04/")
    expect(page.locator("#bulletin-title")).to_have_text("Monthly bulletin Apr 2025")
    expect(page.locator("#print-button")).to_be_visible()
    expect(page.locator("#bulletin-xlsx")).to_be_visible()
    screenshot(page, "bulletin-desktop-en")

    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    for hidden in (".navbar", "#print-button", "#bulletin-xlsx", ".breadcrumb"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("#bulletin-period")).to_contain_text("Figures as of")
    expect(page.locator("#bulletin-foreword")).to_be_visible()
    for section in (
        "headline",
        "hotspots",
        "departments_below",
        "assessment",
        "common_problems",
        "key_tasks_behind",
        "relief",
        "overdue",
    ):
        expect(page.locator(f"#section-{section}")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "bulletin-print")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(prefer_css_page_size=True)))
    assert pages <= 4, pages
