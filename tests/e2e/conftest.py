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


# Every page of every browser test runs under the site's Content-Security-Policy (the live
# server sends the production header: it is the same in every mode). A violation, seen by
# the page (a securitypolicyviolation event) or in its console, fails the test with the
# list. A test about violations themselves marks itself allow_csp_violations and reads
# them from the page's context: context.csp_violations.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__liaisonCspViolation(
    [event.effectiveDirective, event.blockedURI, event.sourceFile + ":" + event.lineNumber,
     event.sample, document.location.pathname].join(" | ")
  );
});
"""


def _csp_console_message(message) -> bool:
    return "Content Security Policy" in message.text or "Content-Security-Policy" in message.text


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test's own body: fail it if a page it opened met a CSP violation."""
    result = yield
    violations = getattr(item, "csp_violations", None)
    if violations and item.get_closest_marker("allow_csp_violations") is None:
        listed = "\n".join(f"  {violation}" for violation in violations)
        pytest.fail(f"Content-Security-Policy violations in the browser:\n{listed}")
    return result


@pytest.fixture
def open_page(browser, live_server, request):
    """open_page(viewport, language) -> a new page in a fresh browser (no cookies)."""
    contexts = []
    violations = request.node.csp_violations = []

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
        context.csp_violations = violations
        context.expose_function("__liaisonCspViolation", lambda text: violations.append(text))
        context.add_init_script(CSP_LISTENER)
        context.on(
            "console",
            lambda message: (
                _csp_console_message(message) and violations.append(f"console: {message.text}")
            ),
        )
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
