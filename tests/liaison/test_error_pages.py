"""Error pages with DEBUG off: in the site's layout, in the user's language, with a way back.

Django renders 500 without the request; the 500 page must show even when the database
is out of reach. The views that fail on purpose are in error_urls.py.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.template import loader
from django.test import Client
from django.utils import translation

from liaison.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.liaison.error_urls")]

FOOTER = {"en": "District liaison office", "zh-hans": "区领导小组办公室"}
HOME = {"en": "Back to the home page", "zh-hans": "返回首页"}
BROWSER_LANGUAGE = {"en": "en", "zh-hans": "zh-CN"}

PAGES = {
    404: {"en": "Page not found", "zh-hans": "页面不存在"},
    403: {"en": "You may not open this page", "zh-hans": "您无权访问此页面"},
    400: {"en": "The request could not be understood", "zh-hans": "无法处理此请求"},
    500: {"en": "Something went wrong", "zh-hans": "系统出错了"},
}
URLS = {
    404: "/no-such-page/",
    403: "/test-errors/403/",
    400: "/test-errors/400/",
    500: "/test-errors/500/",
}


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def client():
    # As a browser gets it: the error page, not the exception re-raised into the test.
    return Client(raise_request_exception=False)


def assert_error_page(response, status: int, language: str, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in html
    assert f'<h1 class="h4 mb-3">{heading}</h1>' in html
    # The site's layout: navigation bar, stylesheet, footer; and a way home.
    assert 'class="navbar' in html and "liaison-navbar" in html
    assert "/static/css/liaison.css" in html
    assert FOOTER[language] in html
    assert f'href="/">{HOME[language]}</a>' in html
    # Nothing of Django's debug or default pages.
    for leak in ("DEBUG", "Traceback", "urlpatterns", "secret internals", "Django"):
        assert leak not in html, leak
    return html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", [404, 403, 400, 500])
def test_error_pages_in_the_site_s_layout_and_the_user_s_language(client, status, language):
    response = client.get(URLS[status], HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language])

    html = assert_error_page(response, status, language, PAGES[status][language])
    assert "data-liaison-back" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_request_for_an_unknown_host_gets_the_400_page(client, language):
    response = client.get(
        "/", HTTP_HOST="attacker.example", HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language]
    )

    assert_error_page(response, 400, language, PAGES[400][language])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_signed_in_user_s_404_keeps_their_menu(client, district, language):
    client.force_login(district.user(Role.ENTERPRISE))

    response = client.get(
        "/problems/no-such-problem/x/", HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language]
    )

    html = assert_error_page(response, 404, language, PAGES[404][language])
    assert {"en": "My problems", "zh-hans": "我的问题"}[language] in html


def test_the_500_page_shows_when_the_database_is_out_of_reach(client):
    # Anonymous: a signed-in user's session is read before the view (two-factor sign-in
    # checks it), and a database out of reach there is the 503 page (test_database_unavailable).
    unreachable = OperationalError("could not connect to server: Connection refused")

    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=unreachable,
    ):
        response = client.get(URLS[500], HTTP_ACCEPT_LANGUAGE="zh-CN")
        with translation.override("en"):
            rendered = loader.get_template("500.html").render()

    assert_error_page(response, 500, "zh-hans", PAGES[500]["zh-hans"])
    assert PAGES[500]["en"] in rendered


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_413_page_renders_without_a_request(language):
    with translation.override(language):
        html = loader.get_template("413.html").render()

    assert {"en": "What you sent is too large", "zh-hans": "提交的内容过大"}[language] in html
    assert {"en": "at most 10 attachments of 20 MB each", "zh-hans": "最多可上传 10 个附件"}[
        language
    ] in html
    assert f'href="/">{HOME[language]}</a>' in html


# --- CSRF failure ----------------------------------------------------------------------

EXPIRED = {"en": "This page has expired", "zh-hans": "页面已过期"}
AGAIN = {"en": "Open the page again", "zh-hans": "重新打开页面"}


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_expired_form_says_what_to_do_in_the_user_s_language(csrf_client, district, language):
    csrf_client.get("/accounts/login/")  # the CSRF cookie, as the browser has it

    response = csrf_client.post(
        "/accounts/login/",
        {"username": "hefeng", "password": "x", "csrfmiddlewaretoken": "stale" * 8},
        HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language],
        HTTP_REFERER="http://testserver/accounts/login/?next=/problems/",
    )

    html = assert_error_page(response, 403, language, EXPIRED[language])
    assert f'href="http://testserver/accounts/login/?next=/problems/">{AGAIN[language]}</a>' in html
    # Not Django's page, nor its technical reason.
    assert "CSRF verification failed" not in html and "incorrect length" not in html
    assert "_auth_user_id" not in csrf_client.session


def test_an_expired_form_links_back_only_to_this_site(csrf_client, district):
    response = csrf_client.post(
        "/accounts/login/",
        {"username": "hefeng", "password": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_REFERER="https://attacker.example/accounts/login/",
    )

    html = assert_error_page(response, 403, "en", EXPIRED["en"])
    assert "attacker.example" not in html
    assert f"{AGAIN['en']}</a>" not in html
