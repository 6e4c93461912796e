"""The database out of reach (a PostgreSQL restart, a dropped connection): 503 with
Retry-After and a page in the user's language, never Django's bare 500 or a traceback."""

from __future__ import annotations

import socket
from unittest import mock

import psycopg2
import pytest
from django.db import OperationalError, connection
from django.test import Client

from liaison.models import Role
from tests.conftest import require_service

pytestmark = pytest.mark.urls("tests.liaison.error_urls")

UNAVAILABLE = {
    "en": "The service is briefly unavailable",
    "zh-hans": "服务暂时不可用",
}
BROWSER_LANGUAGE = {"en": "en", "zh-hans": "zh-CN"}


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def database_unreachable():
    """Every new cursor fails as when PostgreSQL refuses connections while it restarts."""
    return mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: '
            "FATAL:  the database system is shutting down"
        ),
    )


def assert_unavailable(response, language: str) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert f'<html lang="{language}">' in html
    assert f'<h1 class="h4 mb-3">{UNAVAILABLE[language]}</h1>' in html
    assert "liaison-navbar" in html and "data-liaison-reload" in html
    for leak in ("Traceback", "OperationalError", "shutting down", "5432", "DEBUG"):
        assert leak not in html, leak


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_page_answers_503_while_the_database_is_out_of_reach(client, district, language):
    client.force_login(district.user(Role.OFFICE))

    with database_unreachable():
        response = client.get("/", HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language])

    assert_unavailable(response, language)


@pytest.mark.django_db
def test_a_form_post_answers_503_too(client, district):
    with database_unreachable():
        response = client.post(
            "/accounts/login/",
            {"username": "office", "password": "whatever"},
            HTTP_ACCEPT_LANGUAGE="zh-CN",
        )

    assert_unavailable(response, "zh-hans")


@pytest.mark.django_db
def test_a_database_error_raised_by_a_view_is_a_503_even_with_debug_on(client, settings):
    settings.DEBUG = True

    response = client.get("/test-errors/database/", HTTP_ACCEPT_LANGUAGE="en")

    assert_unavailable(response, "en")


@pytest.mark.django_db
def test_a_database_error_after_the_view_is_a_503(client, district):
    # The session is saved by its middleware after the view has answered.
    client.force_login(district.user(Role.OFFICE))

    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        response = client.get("/test-errors/session/", HTTP_ACCEPT_LANGUAGE="en")

    assert_unavailable(response, "en")


@pytest.mark.django_db
def test_healthz_answers_503_while_the_database_is_out_of_reach(client):
    assert client.get("/healthz").status_code == 200

    with database_unreachable():
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.content == b"database unavailable"


# --- On PostgreSQL: a real dropped connection, a real refused one -----------------------


def _require_postgresql():
    require_service(
        connection.vendor == "postgresql",
        f"the test database is {connection.vendor}, not PostgreSQL (set DATABASE_URL)",
    )


def _terminate_this_connection_s_backend() -> None:
    """As a PostgreSQL restart does: end the server process behind Django's connection,
    from a connection of our own. Only that one process, of this test's own database."""
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    params = connection.get_connection_params()
    with psycopg2.connect(**params) as other, other.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid = %s AND datname = current_database()",
            [pid],
        )
        assert cursor.fetchone() == (True,)
    other.close()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_connection_dropped_by_postgresql_answers_503_then_recovers(client, district, language):
    _require_postgresql()
    client.force_login(district.user(Role.OFFICE))
    _terminate_this_connection_s_backend()

    response = client.get("/", HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language])

    assert_unavailable(response, language)
    # The next request after a real one's start (close_old_connections) reconnects;
    # the test client skips that signal, so close the broken connection here.
    connection.close()
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_refused_connection_answers_503(client, district):
    _require_postgresql()
    client.force_login(district.user(Role.OFFICE))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port
    try:
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
        healthz = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port

    assert_unavailable(response, "zh-hans")
    assert healthz.status_code == 503
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


@pytest.mark.django_db
def test_the_api_answers_503_in_json(client, district):
    from api import services

    _client, key = services.client_create(
        actor=district.user(Role.OFFICE),
        name="12345",
        contact="x",
        binding="district",
        scopes=["problems:read"],
    )
    with database_unreachable():
        response = client.get(
            "/api/v1/problems/",
            HTTP_ACCEPT_LANGUAGE="zh-CN",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"
    assert response.json()["detail"].startswith(UNAVAILABLE["zh-hans"])
