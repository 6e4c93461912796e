"""Login throttling: repeated failed logins for one user name are refused for a while."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from liaison.forms import MAX_FAILURES_PER_USERNAME

LOGIN_URL = reverse("login")


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="right-password-123")


def fail(client, username="alice"):
    return client.post(LOGIN_URL, {"username": username, "password": "wrong"})


def test_it_refuses_the_right_password_after_too_many_failures(client, alice):
    for _ in range(MAX_FAILURES_PER_USERNAME):
        assert fail(client).status_code == 200
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": "right-password-123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_says_so_in_chinese(client, alice):
    for _ in range(MAX_FAILURES_PER_USERNAME):
        fail(client)
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": "right-password-123"},
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert "登录失败次数过多" in response.content.decode()


def test_it_allows_login_below_the_limit_and_resets_the_count(client, alice):
    for _ in range(MAX_FAILURES_PER_USERNAME - 1):
        fail(client)
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    # The successful login cleared the count: four more failures are still allowed.
    for _ in range(MAX_FAILURES_PER_USERNAME - 1):
        fail(client)
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302


def test_it_counts_per_user_name(client, alice):
    for _ in range(MAX_FAILURES_PER_USERNAME):
        fail(client, username="bob")
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302


def test_it_throttles_the_admin_login_too(client, db):
    get_user_model().objects.create_user("staffer", password="right-password-123", is_staff=True)
    admin_login = reverse("admin:login")
    for _ in range(MAX_FAILURES_PER_USERNAME):
        client.post(admin_login, {"username": "staffer", "password": "wrong"})
    response = client.post(
        admin_login,
        {"username": "staffer", "password": "right-password-123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_counts_per_client_behind_a_trusted_proxy(client, alice, settings):
    settings.LIAISON_TRUSTED_PROXIES = 1
    for _ in range(MAX_FAILURES_PER_USERNAME):
        client.post(
            LOGIN_URL,
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    # Another client behind the same proxy is not locked out by the first one's failures.
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": "right-password-123"},
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert response.status_code == 302
