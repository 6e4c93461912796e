"""Log in, in Chinese and English, on a desktop and a phone, and find the home page."""

from __future__ import annotations

import re

import pytest

from liaison.models import Role
from tests.liaison.conftest import PASSWORD, USERNAMES
from tests.twofactor import is_official, next_code, totp_device_for

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

LANGUAGES = ["zh-hans", "en"]
VIEWPORTS = ["desktop", "phone"]
ROLES = [
    Role.ENTERPRISE,
    Role.DEPARTMENT_STAFF,
    Role.DEPARTMENT_HEAD,
    Role.LEADER,
    Role.PRINCIPAL,
    Role.OFFICE,
    Role.ADMIN,
    None,
]

# Words from Django's own catalogues, so these hold before and after our catalogue changes.
PASSWORD_LABEL = {"zh-hans": "密码", "en": "Password"}
LOG_OUT = {"zh-hans": "退出登录", "en": "Log out"}
WRONG_PASSWORD = {
    "zh-hans": "请输入一个正确的",
    "en": "Please enter a correct username and password.",
}

# What each role's home page shows that no other role's does (data, so in any language).
ROLE_CONTENT = {
    Role.ENTERPRISE: ["嘉兴禾丰涂装有限公司", "91330402MA", "王建国", "13800000001"],
    Role.DEPARTMENT_STAFF: ["区生态环境分局", "危险废物处置咨询", "排污许可证办理", "李志强"],
    Role.DEPARTMENT_HEAD: ["区生态环境分局", "危险废物处置咨询", "排污许可证办理", "李志强"],
    Role.LEADER: ["区生态环境分局", "陈立新", "梅湾街道办事处", "王建国"],
    Role.PRINCIPAL: ["区人力资源和社会保障局", "周敏"],
    Role.OFFICE: [],
    Role.ADMIN: [],
    None: [USERNAMES[None]],
}


def role_name(role) -> str:
    return role.value if role else "norole"


def log_in(page, username: str, password: str) -> None:
    """Sign in as a person does: the password, then, for an official, the code of their
    authenticator app (an enrolled app is made for them first if they have none)."""
    app = authenticator_app_of(username)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    # The click starts the POST; wait for the page it leads to (home, the second step,
    # or the form again with its message), so the next step never races the sign-in.
    page.wait_for_load_state()
    second_step(page, app)


def authenticator_app_of(username: str):
    """The official's enrolled app (a TOTP device), made if they have none; None for
    enterprise users and users without a role, who sign in with the password alone."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None or not is_official(user):
        return None
    return totp_device_for(user)


def second_step(page, app) -> None:
    """On the second step (a right password of a user with an app), type the app's code."""
    if app is None or "/accounts/two-factor/verify/" not in page.url:
        return
    page.fill("#id_code", next_code(app))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def assert_fits_the_screen(page) -> None:
    """Nothing sticks out sideways (a phone would scroll the whole page)."""
    page.wait_for_load_state()  # a click just before may have started a navigation
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def open_menu(page, viewport: str) -> None:
    """On a phone the menu hides behind the hamburger; on a desktop it is always open."""
    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#main-menu")
    if viewport == "phone":
        expect(toggler).to_be_visible()
        expect(menu).to_be_hidden()
        toggler.click()
    else:
        expect(toggler).to_be_hidden()
    expect(menu).to_be_visible()
    if viewport == "phone":
        expect(menu).to_have_class(re.compile(r"\bshow\b"))  # opened, not still sliding


def open_user_menu(page) -> None:
    page.locator("#user-menu-toggle").click()
    expect(page.locator("#user-menu-toggle + .dropdown-menu")).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES, ids=role_name)
def test_it_logs_in_and_shows_the_home_page(
    open_page, district, screenshot, role, language, viewport
):
    page = open_page(viewport, language)
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("label[for=id_password]")).to_have_text(PASSWORD_LABEL[language])
    assert_fits_the_screen(page)
    if role == Role.ENTERPRISE:
        screenshot(page, f"login-{language}-{viewport}")

    log_in(page, USERNAMES[role], PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    main = page.locator("main")
    for text in ROLE_CONTENT[role]:
        expect(main).to_contain_text(text)
    if role in (Role.OFFICE, Role.ADMIN):
        expect(page.locator("#department-count")).to_have_text("3")
        expect(page.locator("#enterprise-count")).to_have_text("1")
        expect(
            main.locator('a.list-group-item[href="/admin/liaison/calendaryear/"]')
        ).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, f"home-{role_name(role)}-{language}-{viewport}")

    open_menu(page, viewport)
    open_user_menu(page)
    # The admin is in the user menu, for those who may use it.
    admin_link = page.locator('#main-menu a[href="/admin/"]')
    if role in (Role.OFFICE, Role.ADMIN):
        expect(admin_link).to_be_visible()
    else:
        expect(admin_link).to_have_count(0)
    log_out = page.get_by_role("button", name=LOG_OUT[language])
    expect(log_out).to_be_visible()
    if viewport == "phone" and role in (Role.ENTERPRISE, Role.OFFICE):
        screenshot(page, f"menu-{role_name(role)}-{language}-{viewport}")

    log_out.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".alert-success")).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_it_switches_language_with_the_switcher(open_page, district, screenshot, viewport):
    page = open_page(viewport, "en")
    log_in(page, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    open_menu(page, viewport)
    page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main")).to_contain_text("危险废物处置咨询")
    screenshot(page, f"switched-zh-hans-{viewport}")
    open_menu(page, viewport)
    open_user_menu(page)
    expect(page.get_by_role("button", name=LOG_OUT["zh-hans"])).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    open_menu(page, viewport)
    open_user_menu(page)
    expect(page.get_by_role("button", name=LOG_OUT["en"])).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_it_switches_language_before_logging_in(open_page, viewport):
    page = open_page(viewport, "zh-hans")
    page.goto("/accounts/login/")
    expect(page.locator("label[for=id_password]")).to_have_text(PASSWORD_LABEL["zh-hans"])
    # No hamburger for a visitor: the switcher is in plain sight, even on a phone.
    expect(page.locator(".navbar-toggler")).to_have_count(0)
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("label[for=id_password]")).to_have_text(PASSWORD_LABEL["en"])


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_an_error_for_a_wrong_password(
    open_page, district, screenshot, language, viewport
):
    page = open_page(viewport, language)
    log_in(page, USERNAMES[Role.ENTERPRISE], "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".alert-danger")).to_contain_text(WRONG_PASSWORD[language])
    expect(page.locator("#id_username")).to_have_value(USERNAMES[Role.ENTERPRISE])
    assert_fits_the_screen(page)
    screenshot(page, f"wrong-password-{language}-{viewport}")


def test_it_changes_the_password_on_a_phone(open_page, district, screenshot):
    page = open_page("phone", "zh-hans")
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    open_menu(page, "phone")
    open_user_menu(page)
    page.locator('#main-menu a[href="/accounts/password/"]').click()
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))

    page.fill("#id_old_password", "not-the-password")
    page.fill("#id_new_password1", "Xq7-lantern-91")
    page.fill("#id_new_password2", "Xq7-lantern-91")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_old_password")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert_fits_the_screen(page)
    screenshot(page, "password-change-error-zh-hans-phone")

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "Xq7-lantern-91")
    page.fill("#id_new_password2", "Xq7-lantern-91")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/done/$"))
    screenshot(page, "password-change-done-zh-hans-phone")
