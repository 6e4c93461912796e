"""Browser tests: Playwright (sync API) drives Debian's Chromium against the live server.

Screenshots go to test-artifacts/e2e/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.liaison.conftest import build_district

# Playwright's sync API keeps an asyncio event loop in the main thread, where Django
# would otherwise refuse ORM calls (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
# Our language code -> the browser locale that asks for it (it sets Accept-Language).
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "playwright is not installed (pip install -r requirements-dev.txt)")
    require_service(
        os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport, language) -> a new page in a fresh browser (no cookies)."""
    contexts = []

    def _open(viewport: str = "desktop", language: str = "en"):
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            locale=BROWSER_LOCALES[language],
            base_url=live_server.url,
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
            # Bootstrap then opens menus without sliding, so screenshots show them whole.
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def district(transactional_db):
    return build_district()


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves test-artifacts/e2e/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _save
