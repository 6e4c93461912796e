"""A session that ends while the user fills a form loses nothing: after signing in again
the form shows what they typed (static/js/drafts.js, liaison.sessions). The session is
ended on the server, as a restart, the idle limit or the office would end it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from issues.models import Problem
from liaison import sessions
from liaison.models import Role
from tests.e2e import test_problem_flow
from tests.e2e.test_login_and_home import log_in
from tests.e2e.test_problem_flow import DESCRIPTION, TITLE, fill_submit_form
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

ENTERPRISE = USERNAMES[Role.ENTERPRISE]
world = test_problem_flow.world  # the fixture: the district, its calendar and a category


def signed_in_at_the_submit_form(open_page):
    page = open_page("desktop", "en")
    log_in(page, ENTERPRISE, PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/problems/new/")
    return page


def sign_in_again(page) -> None:
    """On the login page the browser was sent to (its "next" kept)."""
    expect(page.locator("form[data-sign-in]")).to_be_visible()
    page.fill("#id_username", ENTERPRISE)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_form_sent_after_the_session_ended_keeps_what_was_typed(open_page, world, screenshot):
    page = signed_in_at_the_submit_form(open_page)
    fill_submit_form(page, world.category)

    Session.objects.all().delete()  # the session ends on the server meanwhile
    page.locator("main form button[type=submit]").click()

    # The login page, then the form again, with the text back in it.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/problems/new/$"))
    sign_in_again(page)
    expect(page).to_have_url(re.compile(r"/problems/new/$"))
    expect(page.locator("#id_title")).to_have_value(TITLE)
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("#id_category")).to_have_value(str(world.category.pk))
    note = page.locator("main .liaison-draft-restored")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Files are not kept")
    screenshot(page, "session-ended-form-restored-en-desktop")
    assert Problem.objects.count() == 0

    # Sent and accepted: the draft is gone, the next form starts empty.
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    assert Problem.objects.get().title == TITLE
    page.goto("/problems/new/")
    expect(page.locator("#id_title")).to_have_value("")
    expect(page.locator("#id_description")).to_have_value("")
    expect(page.locator("main .liaison-draft-restored")).to_have_count(0)


def test_a_refused_form_keeps_its_draft_until_it_is_accepted(open_page, world):
    page = signed_in_at_the_submit_form(open_page)
    page.fill("#id_description", DESCRIPTION)  # no title: refused

    page.locator("main form button[type=submit]").click()

    expect(page.locator("main [data-error-summary]")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("main .liaison-draft-restored")).to_have_count(0)  # nothing restored
    page.goto("/")
    page.goto("/problems/new/")
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("main .liaison-draft-restored")).to_be_visible()


def test_the_idle_limit_sends_the_page_to_the_login_page_with_the_reason(open_page, world):
    page = signed_in_at_the_submit_form(open_page)
    page.fill("#id_title", TITLE)
    page.fill("#id_description", DESCRIPTION)

    # Two hours without a request; then the bell asks for its count, as it does every
    # minute: the page goes to the login page, which says why.
    (row,) = Session.objects.all()
    session = SessionStore(session_key=row.session_key)
    session[sessions.ACTIVE_AT] -= int(dt.timedelta(minutes=121).total_seconds())
    session.save()
    page.evaluate(
        "htmx.ajax('GET', '/problems/notifications/badge/', {target: '#notification-badge'})"
    )

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/problems/new/$"))
    expect(page.locator("main .alert")).to_contain_text(
        "You were signed out after 120 minutes without activity."
    )
    sign_in_again(page)
    expect(page).to_have_url(re.compile(r"/problems/new/$"))
    expect(page.locator("#id_title")).to_have_value(TITLE)
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)


def test_logging_out_forgets_the_drafts(open_page, world):
    page = signed_in_at_the_submit_form(open_page)
    page.fill("#id_description", DESCRIPTION)

    page.locator("#user-menu-toggle").click()
    page.locator("form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    log_in(page, ENTERPRISE, PASSWORD)
    page.goto("/problems/new/")

    expect(page.locator("#id_description")).to_have_value("")
