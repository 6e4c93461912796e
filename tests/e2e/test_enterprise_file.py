"""The office finds an enterprise in the list and opens its file; the enterprise opens
its own file from its home page. Phone and desktop, both languages."""

from __future__ import annotations

import re

import pytest

from liaison.models import Role
from service import services
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.e2e.test_problem_flow import world  # noqa: F401  (the fixture)
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("viewport", "language"), [("phone", "zh-hans"), ("desktop", "en")])
def test_the_office_and_the_enterprise_open_the_file(
    open_page,
    world,  # noqa: F811  (the fixture imported above)
    screenshot,
    viewport,
    language,
):
    services.commissioner_assign(
        actor=world.users[Role.OFFICE],
        enterprise=world.enterprise,
        commissioner=world.users[Role.DEPARTMENT_STAFF],
    )
    file_url = f"/service/enterprises/{world.enterprise.pk}/"

    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.OFFICE], PASSWORD)
    open_menu(page, viewport)
    page.locator("#service-menu-toggle").click()
    page.locator("#menu-enterprises").click()
    expect(page).to_have_url(re.compile(r"/service/enterprises/$"))
    page.fill("#id_q", world.enterprise.credit_code)
    page.locator("#enterprise-filters button[type=submit]").click()
    expect(page.locator("#enterprise-list tbody tr")).to_have_count(1)
    assert_fits_the_screen(page)
    screenshot(page, f"enterprise-list-{viewport}-{language}")
    page.locator(f'#enterprise-list a[href="{file_url}"]').click()
    expect(page).to_have_url(re.compile(re.escape(file_url) + "$"))
    expect(page.locator("h1")).to_have_text(world.enterprise.name)
    expect(page.locator("#file-commissioners li")).to_have_count(1)
    assert_fits_the_screen(page)
    screenshot(page, f"enterprise-file-{viewport}-{language}")

    own = open_page(viewport, language)
    log_in(own, USERNAMES[Role.ENTERPRISE], PASSWORD)
    own.locator("#home-enterprise-file").click()
    expect(own).to_have_url(re.compile(re.escape(file_url) + "$"))
    expect(own.locator("#file-key-tasks")).to_have_count(0)
    assert_fits_the_screen(own)
    screenshot(own, f"enterprise-file-own-{viewport}-{language}")
