"""The admin's "Import from Excel" in a browser, on a phone and a desktop: dry run, confirm."""

from __future__ import annotations

import pytest

from imports.exports import resource_headers
from liaison.models import Enterprise, Role
from tests.e2e.test_login_and_home import (
    assert_fits_the_screen,
    authenticator_app_of,
    second_step,
)
from tests.imports.conftest import credit_code, workbook
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def enterprises(rows) -> dict:
    content = workbook({"enterprises": (resource_headers("enterprises"), rows)})
    return {"name": "企业.xlsx", "mimeType": XLSX, "buffer": content}


def admin_log_in(page, username: str) -> None:
    """The admin's own login page, then the site's second step (the code of the app)."""
    app = authenticator_app_of(username)
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()
    second_step(page, app)
    expect(page.locator("#site-name")).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_office_checks_a_file_then_imports_it(open_page, district, screenshot, viewport):
    page = open_page(viewport, "zh-hans")
    admin_log_in(page, USERNAMES[Role.OFFICE])
    page.locator("#content-main a", has_text="从 Excel 导入").first.click()
    expect(page.locator("#import-kinds")).to_be_visible()
    page.select_option("#id_kind", "enterprises")

    bad = [[credit_code(1), "镇不存在", "", "没有这个镇", "", "", "", ""]]
    page.set_input_files("#id_file", files=[enterprises(bad)])
    page.locator("#import-upload [type=submit]").click()
    expect(page.locator("#import-errors")).to_contain_text("未知部门“没有这个镇”")
    assert_fits_the_screen(page)
    screenshot(page, f"import-dry-run-errors-{viewport}")

    good = [[credit_code(i), f"导入企业{i}", "纺织", "梅湾街道", "", "", "", ""] for i in (1, 2)]
    page.set_input_files("#id_file", files=[enterprises(good)])
    page.locator("#import-upload [type=submit]").click()
    expect(page.locator("#import-report")).to_contain_text("将新增")
    assert_fits_the_screen(page)
    screenshot(page, f"import-dry-run-ok-{viewport}")
    assert Enterprise.objects.count() == 1

    page.locator("#import-confirm [type=submit].default").dblclick()
    expect(page.locator(".messagelist .success")).to_contain_text("新增2条")
    assert_fits_the_screen(page)
    screenshot(page, f"import-done-{viewport}")
    assert Enterprise.objects.count() == 3
