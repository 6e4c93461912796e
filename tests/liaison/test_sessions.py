"""Sessions end: after the idle limit of the user's kind (officials 30 minutes, enterprise
users 120, configurable) and after the absolute lifetime however active the user is
(liaison.sessions); a change of password ends the user's other sessions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liaison import sessions
from liaison.models import Role
from tests.twofactor import is_official, mark_session_verified

from .conftest import PASSWORD, USERNAMES

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
HOME_URL = reverse("home")
BADGE_URL = reverse("issues:notifications_badge")
IDLE_EN = "You were signed out after 30 minutes without activity. Sign in again to go on."
IDLE_ZH = "您已 30 分钟没有操作，已自动退出登录。请重新登录后继续。"
LIFETIME_EN = "You were signed out: a session lasts at most 12 hours. Sign in again to go on."


def signed_in(role, *, language: str = "en") -> Client:
    """A browser that signed in through the login form, as `role`'s persona."""
    client = Client(headers={"accept-language": language})
    response = client.post(LOGIN_URL, {"username": USERNAMES[role], "password": PASSWORD})
    assert response.status_code == 302, response.content
    user = get_user_model().objects.get(username=USERNAMES[role])
    if is_official(user):
        # The second step as django-otp records it (tests/liaison/test_two_factor.py types
        # real codes; this file is about the session's limits).
        mark_session_verified(client, user)
    return client


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


def after(minutes: float):
    """The clock `minutes` from now (time_machine: time.time() and timezone.now() move)."""
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- the idle limit ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE, Role.DEPARTMENT_STAFF, Role.LEADER, Role.ADMIN])
def test_it_signs_an_official_out_after_30_minutes_without_activity(district, role):
    client = signed_in(role)

    with after(29):
        assert client.get(HOME_URL).status_code == 200
    with after(29 + 30):
        response = client.get(HOME_URL, follow=True)

    assert response.redirect_chain == [(f"{LOGIN_URL}?next=/", 302)]
    assert messages_of(response) == [IDLE_EN]
    assert not is_signed_in(client)


def test_activity_within_the_limit_keeps_the_session(district):
    client = signed_in(Role.OFFICE)

    for minutes in (20, 40, 60, 80):  # a request every 20 minutes, 80 minutes in all
        with after(minutes):
            assert client.get(HOME_URL).status_code == 200

    assert is_signed_in(client)


def test_the_message_is_in_the_users_language(district):
    client = signed_in(Role.DEPARTMENT_HEAD, language="zh-hans")

    with after(31):
        response = client.get(HOME_URL, follow=True)

    assert messages_of(response) == [IDLE_ZH]
    assert IDLE_ZH in response.content.decode()


def test_enterprise_users_have_a_longer_idle_limit(district):
    client = signed_in(Role.ENTERPRISE)

    with after(119):
        assert client.get(HOME_URL).status_code == 200
    with after(119 + 121):
        response = client.get(HOME_URL, follow=True)

    assert messages_of(response) == [
        "You were signed out after 120 minutes without activity. Sign in again to go on."
    ]


def test_the_limits_are_settings(district, settings):
    settings.LIAISON_SESSION_IDLE_MINUTES_OFFICIALS = 5
    settings.LIAISON_SESSION_IDLE_MINUTES_ENTERPRISE = 10
    official, enterprise = signed_in(Role.OFFICE), signed_in(Role.ENTERPRISE)

    with after(6):
        assert official.get(HOME_URL).status_code == 302
        assert enterprise.get(HOME_URL).status_code == 200


# --- the absolute lifetime ---------------------------------------------------------------


def test_it_signs_out_after_the_lifetime_however_active(district):
    client = signed_in(Role.OFFICE)

    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes for 12 hours
        with after(minutes):
            assert client.get(HOME_URL).status_code == 200, minutes
    with after(12 * 60):
        response = client.get(HOME_URL, follow=True)

    assert messages_of(response) == [LIFETIME_EN]
    assert not is_signed_in(client)


def test_the_cookie_and_the_stored_session_end_with_the_lifetime(district, settings):
    client = signed_in(Role.ENTERPRISE)

    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert client.session.get_expiry_age() == 12 * 3600


# --- what is activity, and how often it is written -----------------------------------------


def _session_writes(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"])


def test_activity_is_written_at_most_once_a_minute(district):
    client = signed_in(Role.OFFICE)

    with CaptureQueriesContext(connection) as within_the_minute:
        for _ in range(3):
            client.get(HOME_URL)
    with after(1.5), CaptureQueriesContext(connection) as a_minute_later:
        client.get(HOME_URL)
        client.get(HOME_URL)

    assert _session_writes(within_the_minute.captured_queries) == 0
    assert _session_writes(a_minute_later.captured_queries) == 1


def test_the_bells_polling_is_not_activity(district):
    client = signed_in(Role.OFFICE)

    for minutes in range(1, 30):  # the bell asks every minute; the user does nothing
        with after(minutes):
            assert client.get(BADGE_URL, headers={"hx-request": "true"}).status_code == 200
    with after(30):
        response = client.get(
            BADGE_URL,
            headers={"hx-request": "true", "hx-current-url": "http://testserver/problems/triage/"},
        )

    # The whole page goes to the login page, and back to it after the login.
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN_URL}?next=/problems/triage/"
    assert not is_signed_in(client)
    assert messages_of(client.get(LOGIN_URL)) == [IDLE_EN]


def test_the_bell_of_a_browser_signed_out_elsewhere_stops_polling(client, district):
    # Not an ended session: 286, htmx's "stop polling" (notifications.views).
    response = client.get(BADGE_URL, headers={"hx-request": "true"})

    assert response.status_code == 286


def test_an_htmx_request_bounced_to_the_login_page_leads_the_page_there(client, district):
    response = client.get(
        reverse("issues:list"),
        headers={"hx-request": "true", "hx-current-url": "http://testserver/problems/?page=2"},
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN_URL}?next=/problems/%3Fpage%3D2"
    assert response.content == b""


# --- a form sent after the session ended ----------------------------------------------------


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_the_login(district):
    client = signed_in(Role.DEPARTMENT_STAFF)
    page = "/problems/LS-2026-0001/"

    with after(31):
        response = client.post(
            f"{page}progress/",
            {"note": "已与企业联系。"},
            headers={"referer": f"http://testserver{page}"},
        )

    # Not back to .../progress/, which takes only POST: to the page the form was on.
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/problems/LS-2026-0001/"
    assert messages_of(client.get(response["Location"])) == [IDLE_EN]


@pytest.mark.parametrize(
    "referer",
    [
        "https://elsewhere.example.com/problems/",
        "http://testserver/\\elsewhere.example.com/problems/",
        "javascript:alert(1)",
    ],
    ids=["another-host", "backslash", "javascript"],
)
def test_a_referer_of_another_site_is_not_followed(client, district, referer):
    response = client.post(reverse("issues:submit"), {"title": "x"}, headers={"referer": referer})

    assert response["Location"] == f"{LOGIN_URL}?next=/problems/new/"


def test_the_logout_is_not_redirected_elsewhere(district):
    client = signed_in(Role.OFFICE)

    response = client.post(reverse("logout"), headers={"referer": "http://testserver/"})

    assert response["Location"] == LOGIN_URL


def test_a_session_from_before_the_stamps_gets_them_at_its_next_request(district):
    client = Client()
    client.force_login(district.user(Role.ENTERPRISE))
    session = client.session
    for key in (sessions.SIGNED_IN_AT, sessions.ACTIVE_AT, sessions.IDLE_KIND):
        del session[key]
    session.save()

    assert client.get(HOME_URL).status_code == 200

    assert client.session[sessions.IDLE_KIND] == "enterprise"
    with after(121):
        assert client.get(HOME_URL).status_code == 302


# --- a password change ends the other sessions ----------------------------------------------


def test_changing_the_password_ends_the_users_other_sessions(district):
    here, elsewhere = signed_in(Role.OFFICE), signed_in(Role.OFFICE)
    other_user = signed_in(Role.LEADER)
    assert elsewhere.get(HOME_URL).status_code == 200

    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Harbour-lantern-4417",
            "new_password2": "Harbour-lantern-4417",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert here.get(HOME_URL).status_code == 200  # this one goes on (its hash was updated)
    assert elsewhere.get(HOME_URL).status_code == 302  # the other is signed out
    assert not is_signed_in(elsewhere)
    assert other_user.get(HOME_URL).status_code == 200  # nobody else's
