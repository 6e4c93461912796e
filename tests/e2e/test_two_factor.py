"""Two-factor sign-in in a browser: an office user without an app is led to enrol after
the password, types the key shown beside the QR code into "their app", enters its code,
keeps the recovery codes and lands on the home page; then signs in again with a code."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.models import Role
from tests.e2e.test_accessibility import violations
from tests.e2e.test_login_and_home import (
    assert_fits_the_screen,
    open_menu,
    open_user_menu,
    second_step,
)
from tests.liaison.conftest import PASSWORD, USERNAMES
from tests.twofactor import next_code

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

ENROL_TITLE = {"zh-hans": "设置双因素登录", "en": "Set up two-factor sign-in"}
CODES_TITLE = {"zh-hans": "恢复码", "en": "Recovery codes"}
WRONG = {"zh-hans": "验证码不正确", "en": "That code is not right"}
REUSED = {"zh-hans": "此验证码已使用过", "en": "This code was already used"}


def app_code(key_text: str) -> str:
    """What an authenticator app shows for the key typed into it by hand."""
    key = key_text.replace(" ", "")
    return f"{TOTP(b32decode(key + '=' * (-len(key) % 8))).token():06d}"


def password_step(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("viewport", "language"), [("desktop", "zh-hans"), ("phone", "zh-hans"), ("desktop", "en")]
)
def test_an_office_user_enrols_after_the_password_and_lands_home(
    open_page, district, screenshot, viewport, language
):
    office = district.user(Role.OFFICE)
    page = open_page(viewport, language)
    password_step(page, USERNAMES[Role.OFFICE])

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/\?next=%2F$"))
    expect(page.locator("h1")).to_have_text(ENROL_TITLE[language])
    expect(page.locator(".liaison-qr svg")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", key)
    assert_fits_the_screen(page)
    assert not violations(page)
    screenshot(page, f"two-factor-enrol-{language}-{viewport}")

    # A wrong code first: the message, and nothing enrolled.
    right = app_code(key)
    page.fill("#id_code", f"{(int(right) + 1) % 1_000_000:06d}")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("#id_code_error")).to_contain_text(WRONG[language])
    assert not TOTPDevice.objects.filter(user=office, confirmed=True).exists()
    screenshot(page, f"two-factor-enrol-wrong-{language}-{viewport}")

    page.fill("#id_code", app_code(key))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/recovery-codes/\?next=%2F$"))
    expect(page.locator("h1")).to_have_text(CODES_TITLE[language])
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_fits_the_screen(page)
    screenshot(page, f"two-factor-recovery-codes-{language}-{viewport}")

    page.locator("main a.btn-liaison").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#department-count")).to_have_text("3")
    assert_fits_the_screen(page)

    # The user menu leads to the page of one's own two-factor sign-in.
    open_menu(page, viewport)
    open_user_menu(page)
    page.locator('#main-menu a[href="/accounts/two-factor/"]').click()
    expect(page.locator("#two-factor-status")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, f"two-factor-page-{language}-{viewport}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_enrolled_leader_gives_a_code_and_a_used_one_is_refused(
    open_page, district, screenshot, viewport
):
    from tests.twofactor import totp_device_for

    app = totp_device_for(district.user(Role.LEADER))
    page = open_page(viewport, "zh-hans")
    password_step(page, USERNAMES[Role.LEADER])
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/\?next=%2F$"))
    assert_fits_the_screen(page)
    assert not violations(page)
    screenshot(page, f"two-factor-verify-zh-hans-{viewport}")
    code = next_code(app)
    page.fill("#id_code", code)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/$"))

    # Another browser replays the same code: refused, in the user's language.
    other = open_page(viewport, "zh-hans")
    password_step(other, USERNAMES[Role.LEADER])
    other.fill("#id_code", code)
    other.locator("main form button[type=submit]").first.click()
    expect(other.locator("#id_code_error")).to_contain_text(REUSED["zh-hans"])
    screenshot(other, f"two-factor-reused-zh-hans-{viewport}")
    second_step(other, app)  # the next code lets them in
    expect(other).to_have_url(re.compile(r"/$"))
