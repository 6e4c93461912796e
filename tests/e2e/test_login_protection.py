"""Login protection in the browser: the challenge after many failed sign-ins from the
network, and a locked-out user told until when, in both languages, on a phone and a
desktop, with no serious accessibility violation."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from captcha.models import CaptchaStore

from liaison.models import Role
from tests.e2e.test_accessibility import violations
from tests.e2e.test_login_and_home import (
    assert_fits_the_screen,
    authenticator_app_of,
    log_in,
    second_step,
)
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

# Failures are recorded as django-axes records them, from the browser's address (127.0.0.1).
CHALLENGE_LABEL = {"zh-hans": "图中的字符", "en": "Characters in the picture"}
LOCKED = {
    "zh-hans": "您所在地址登录此账号已被锁定",
    "en": "signing in to this account from your address is locked until",
}


def record_failures(username: str, failures: int) -> None:
    AccessAttempt.objects.create(
        username=username,
        ip_address="127.0.0.1",
        user_agent="e2e",
        failures_since_start=failures,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", "phone"), ("en", "desktop")])
def test_after_many_failures_from_the_network_a_person_answers_the_challenge(
    open_page, district, screenshot, language, viewport
):
    for i in range(10):  # made-up names from the same address, as behind a NAT
        record_failures(f"guess{i}", 1)
    page = open_page(viewport, language)
    page.goto("/accounts/login/")
    expect(page.locator("label[for=id_challenge_1]")).to_have_text(CHALLENGE_LABEL[language])
    picture = page.locator("img.liaison-challenge")
    expect(picture).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", picture.element_handle()) > 0
    assert_fits_the_screen(page)
    assert violations(page) == []
    screenshot(page, f"login-challenge-{language}-{viewport}")

    key = page.locator("input[name=challenge_0]").input_value()
    page.fill("#id_username", USERNAMES[Role.ENTERPRISE])
    page.fill("#id_password", PASSWORD)
    page.fill("#id_challenge_1", CaptchaStore.objects.get(hashkey=key).response)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", "phone"), ("en", "desktop")])
def test_a_locked_out_user_is_told_until_when(open_page, district, screenshot, language, viewport):
    record_failures(USERNAMES[Role.ENTERPRISE], 5)
    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".alert-danger")).to_contain_text(LOCKED[language])
    expect(page.locator("#id_password")).to_be_visible()  # the site's page, the form again
    assert_fits_the_screen(page)
    assert violations(page) == []
    screenshot(page, f"login-locked-out-{language}-{viewport}")


def test_the_admin_login_shows_the_challenge_too(open_page, district, screenshot):
    for i in range(10):
        record_failures(f"guess{i}", 1)
    page = open_page("desktop", "zh-hans")
    page.goto("/admin/login/")
    expect(page.locator("label[for=id_challenge_1]")).to_contain_text("图中的字符")
    expect(page.locator("#login-form img.liaison-challenge")).to_be_visible()
    screenshot(page, "admin-login-challenge-zh-hans-desktop")

    key = page.locator("input[name=challenge_0]").input_value()
    app = authenticator_app_of(USERNAMES[Role.OFFICE])
    page.fill("#id_username", USERNAMES[Role.OFFICE])
    page.fill("#id_password", PASSWORD)
    page.fill("#id_challenge_1", CaptchaStore.objects.get(hashkey=key).response)
    page.locator("#login-form [type=submit]").click()
    # The password and the challenge passed; an official then gives the app's code.
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    second_step(page, app)
    expect(page).to_have_url(re.compile(r"/admin/$"))
