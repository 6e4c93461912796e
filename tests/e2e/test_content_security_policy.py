"""The Content-Security-Policy in the browser: the live server sends the production policy;
the pages we serve from others (the Django admin, Swagger UI) run under it; what used to be
inline (print buttons, a computed width) works from our static files; and a violation is
refused, reported to /csp-report and logged, while the page goes on working.

Every other browser test fails on a violation too (tests/e2e/conftest.py).
"""

from __future__ import annotations

import logging
import re

import pytest
from csp.utils import build_policy

from keytasks.models import KeyTask
from liaison.models import Role
from tests.e2e import test_key_tasks
from tests.e2e.test_import_page import admin_log_in
from tests.e2e.test_login_and_home import log_in, open_menu, open_user_menu
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

key_task = test_key_tasks.key_task  # the fixture: a key task of this year

INJECTED = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injectedRan = true;";
  document.body.append(script);
}"""


@pytest.mark.allow_csp_violations
def test_a_violation_is_refused_reported_and_the_page_goes_on(open_page, district, caplog):
    page = open_page("desktop", "en")
    response = page.goto("/accounts/login/")
    # The production policy: settings.CONTENT_SECURITY_POLICY is the same in every mode.
    assert response.headers["content-security-policy"] == build_policy()
    assert "unsafe" not in build_policy()
    log_in(page, USERNAMES[Role.OFFICE], PASSWORD)

    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        with page.expect_response("**/csp-report") as reported:
            page.evaluate(INJECTED)  # as a script an attacker slipped into the page would
        assert reported.value.status == 204

    assert page.evaluate("() => window.injectedRan") is None
    assert any(v.startswith("script-src-elem | inline") for v in page.context.csp_violations)
    assert "CSP violation: 'script-src-elem' blocked 'inline' on" in caplog.text
    # The page still works: the user menu opens, the bell has its count.
    open_menu(page, "desktop")
    open_user_menu(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_admin_runs_under_the_policy(open_page, district, screenshot):
    page = open_page("desktop", "en")
    admin_log_in(page, USERNAMES[Role.OFFICE])

    page.goto("/admin/liaison/enterprise/?q=禾丰")
    expect(page.locator("#result_list")).to_contain_text("嘉兴禾丰涂装有限公司")
    page.locator("#action-toggle").check()  # actions.js
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")

    page.goto("/admin/liaison/calendarday/add/")
    page.locator(".datetimeshortcuts a", has_text="Today").click()  # DateTimeShortcuts.js
    expect(page.locator("#id_date")).not_to_have_value("")
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    screenshot(page, "csp-admin-calendar")

    page.goto("/admin/auth/user/add/")
    expect(page.locator("#id_username")).to_be_visible()
    page.locator("#toggle-nav-sidebar").click()  # nav_sidebar.js folds the sidebar
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    page.goto("/admin/")
    expect(page.locator("#content-main")).to_be_visible()


def test_the_api_documentation_runs_under_the_policy(open_page, district, screenshot):
    page = open_page("desktop", "en")

    page.goto("/api/docs/")

    # Swagger UI started (its script is /api/docs/?script=) and drew the operations.
    expect(page.locator(".opblock-tag").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    screenshot(page, "csp-api-docs")


def test_print_buttons_and_computed_widths_work_from_static_files(open_page, district, key_task):
    KeyTask.objects.filter(pk=key_task.pk).update(percent=40)
    page = open_page("desktop", "en")
    log_in(page, USERNAMES[Role.LEADER], PASSWORD)

    page.goto(f"/tasks/{key_task.pk}/")
    bar = page.locator(".progress-bar")
    expect(bar).to_have_text("40%")
    expect(bar).to_have_attribute("style", re.compile(r"width: 40%"))

    page.goto("/tasks/print/")
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.locator("[data-print]").click()
    assert page.evaluate("() => window.printed") is True
