"""A commissioner records a visit in the browser and raises a problem from it; the office
sees it with channel "visit" and the enterprise follows it. Desktop and phone.

Elements are found by URL, name and id; texts checked are translated with the catalogue
the live server uses.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from issues.models import Channel, Problem
from liaison import workdays
from liaison.models import Role
from service import services
from service.models import Visit, VisitProblem
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.e2e.test_problem_flow import world  # noqa: F401  (the fixture)
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

PURPOSE = "走访了解企业用工和环保需求"
FINDINGS = "企业反映喷涂车间漆渣无处处置，另有招工难。"
TITLE = "漆渣处置渠道中断"
DESCRIPTION = "走访中企业反映：原处置单位停止收运，库存已近上限。"


@pytest.mark.parametrize(("viewport", "language"), [("desktop", "zh-hans"), ("phone", "en")])
def test_a_commissioner_records_a_visit_and_raises_a_problem(
    open_page,
    world,  # noqa: F811  (the fixture imported above)
    screenshot,
    viewport,
    language,
):
    commissioner = world.users[Role.DEPARTMENT_STAFF]
    commissioner.profile.phone = "13800000009"
    commissioner.profile.save(update_fields=["phone"])
    services.commissioner_assign(
        actor=world.users[Role.OFFICE], enterprise=world.enterprise, commissioner=commissioner
    )
    yesterday = workdays.local_date(timezone.now()) - dt.timedelta(days=1)

    # 1. The commissioner opens the desk from the menu and records a visit.
    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.DEPARTMENT_STAFF], PASSWORD)
    open_menu(page, viewport)
    page.locator("#service-menu-toggle").click()
    page.locator('#main-menu a[href="/service/desk/"]').click()
    expect(page).to_have_url(re.compile(r"/service/desk/$"))
    expect(page.locator("#desk-enterprises")).to_contain_text(world.enterprise.name)
    assert_fits_the_screen(page)
    screenshot(page, f"visits-0-desk-{language}-{viewport}")
    page.locator(f'#desk-enterprises a[href$="?enterprise={world.enterprise.pk}"]').click()
    expect(page).to_have_url(re.compile(r"/service/visits/new/"))
    page.fill("#id_visited_on", yesterday.isoformat())
    page.fill("#id_purpose", PURPOSE)
    page.fill("#id_findings", FINDINGS)
    assert_fits_the_screen(page)
    screenshot(page, f"visits-1-form-{language}-{viewport}")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/service/visits/\d+/$"))
    visit = Visit.objects.get()
    assert visit.enterprise == world.enterprise and visit.status == Visit.Status.DONE
    assert list(visit.officials.all()) == [commissioner]
    expect(page.locator("#visit-findings")).to_have_text(FINDINGS)

    # 2. A problem found there, raised on the enterprise's behalf.
    form = page.locator("#raise-form")
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_category").select_option(str(world.category.pk))
    form.locator("#id_description").fill(DESCRIPTION)
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    problem = Problem.objects.get()
    assert problem.channel == Channel.VISIT
    assert VisitProblem.objects.get().visit == visit
    expect(page.locator(".alert-success")).to_contain_text(problem.reference)
    expect(page.locator("#visit-problems")).to_contain_text(problem.reference)
    assert_fits_the_screen(page)
    screenshot(page, f"visits-2-problem-raised-{language}-{viewport}")

    # 3. The enterprise sees its commissioner on its home page, and the problem.
    enterprise_page = open_page(viewport, language)
    log_in(enterprise_page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    expect(enterprise_page.locator("#commissioner")).to_contain_text("13800000009")
    screenshot(enterprise_page, f"visits-3-enterprise-home-{language}-{viewport}")
    enterprise_page.goto(f"/problems/{problem.reference}/")
    expect(enterprise_page.locator("main h1")).to_have_text(TITLE)
    assert_fits_the_screen(enterprise_page)


@pytest.mark.parametrize(("viewport", "language"), [("phone", "zh-hans"), ("desktop", "en")])
def test_the_office_reads_the_statistics_per_commissioner(
    open_page,
    world,  # noqa: F811  (the fixture imported above)
    screenshot,
    viewport,
    language,
):
    commissioner = world.users[Role.DEPARTMENT_STAFF]
    services.commissioner_assign(
        actor=world.users[Role.OFFICE], enterprise=world.enterprise, commissioner=commissioner
    )
    services.visit_record(
        actor=commissioner,
        enterprise=world.enterprise,
        visited_on=workdays.local_date(timezone.now()) - dt.timedelta(days=1),
        status=Visit.Status.DONE,
        purpose=PURPOSE,
    )
    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.OFFICE], PASSWORD)
    page.goto("/service/statistics/")
    row = page.locator(f'#by-commissioner tr[data-commissioner="{commissioner.pk}"]')
    expect(row.locator('[data-stat="enterprises"]')).to_have_text("1")
    expect(row.locator('[data-stat="visits"]')).to_have_text("1")
    assert_fits_the_screen(page)  # the wide table scrolls inside its own box
    screenshot(page, f"visits-4-statistics-{language}-{viewport}")
