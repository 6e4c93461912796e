"""Login throttling: repeated failed logins are refused for a while.

The numbers are the ones the README promises (Security notes): after 5 failed attempts
for one user name from one address, or 30 from one address for any names, further
attempts are refused for 15 minutes.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

LOGIN_URL = reverse("login")
PER_USERNAME = 5  # failed attempts for one user name from one address
PER_ADDRESS = 30  # failed attempts from one address, whatever the names


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
    for _ in range(PER_USERNAME):
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
    for _ in range(PER_USERNAME):
        fail(client)
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": "right-password-123"},
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert "登录失败次数过多" in response.content.decode()


def test_it_allows_login_below_the_limit_and_resets_the_count(client, alice):
    for _ in range(PER_USERNAME - 1):
        fail(client)
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    # The successful login cleared the count: four more failures are still allowed.
    for _ in range(PER_USERNAME - 1):
        fail(client)
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302


def test_it_counts_per_user_name(client, alice):
    for _ in range(PER_USERNAME):
        fail(client, username="bob")
    response = client.post(LOGIN_URL, {"username": "alice", "password": "right-password-123"})
    assert response.status_code == 302


def test_it_throttles_the_admin_login_too(client, db):
    get_user_model().objects.create_user("staffer", password="right-password-123", is_staff=True)
    admin_login = reverse("admin:login")
    for _ in range(PER_USERNAME):
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
    for _ in range(PER_USERNAME):
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


def assert_locked_out(response):
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()


def test_a_forged_x_forwarded_for_does_not_lift_a_lockout_without_a_trusted_proxy(
    client, alice, settings
):
    # The default: no proxy is trusted, the header is the client's own words.
    settings.LIAISON_TRUSTED_PROXIES = 0
    for _ in range(PER_USERNAME):
        fail(client)

    for forged in ("198.51.100.9", "198.51.100.10, 198.51.100.11", "unknown", ""):
        response = client.post(
            LOGIN_URL,
            {"username": "alice", "password": "right-password-123"},
            HTTP_X_FORWARDED_FOR=forged,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_locked_out(response)
    assert "_auth_user_id" not in client.session


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(client, alice, settings):
    # nginx (deploy/nginx.conf) replaces the header with the address it saw; a proxy
    # that appended instead would pass the client's forged entries on in front of it.
    settings.LIAISON_TRUSTED_PROXIES = 1
    for _ in range(PER_USERNAME):
        client.post(
            LOGIN_URL,
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    for forged in ("198.51.100.9, 203.0.113.7", "198.51.100.9,203.0.113.7", " , 203.0.113.7"):
        response = client.post(
            LOGIN_URL,
            {"username": "alice", "password": "right-password-123"},
            HTTP_X_FORWARDED_FOR=forged,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert_locked_out(response)
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_address_after_30_failures_whatever_the_user_names(client, alice):
    attacker = "203.0.113.50"
    for i in range(PER_ADDRESS - 1):
        response = client.post(
            LOGIN_URL, {"username": f"guess{i}", "password": "wrong"}, REMOTE_ADDR=attacker
        )
        assert response.status_code == 200
        assert "Too many failed attempts" not in response.content.decode()
    # 29 failures, none more than once per name: alice still logs in from that address.
    right = {"username": "alice", "password": "right-password-123"}
    assert client.post(LOGIN_URL, right, REMOTE_ADDR=attacker).status_code == 302
    client.post(reverse("logout"))

    # The 30th failure (a name not tried before): the address is locked out, for every name.
    client.post(LOGIN_URL, {"username": "guess-last", "password": "wrong"}, REMOTE_ADDR=attacker)
    response = client.post(LOGIN_URL, right, REMOTE_ADDR=attacker, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Too many failed attempts. Wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Another address is not locked out by the first one's failures.
    response = client.post(LOGIN_URL, right, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 302
