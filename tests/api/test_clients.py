"""API clients: registered on the office's page, key shown once, revoked, throttled."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from api.models import ApiClient, Binding, Scope, hash_key
from liaison.models import Role

from .conftest import ALL_SCOPES, USERNAMES, as_client

pytestmark = pytest.mark.django_db


def signed_in(role) -> Client:
    """Signed in (tests/conftest.py passes an official's second step)."""
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=USERNAMES[role]))
    return client


def test_the_office_registers_a_client_and_sees_the_key_once(district):
    office = signed_in(Role.OFFICE)
    response = office.post(
        reverse("integrations:client_create"),
        {
            "name": "12345 热线",
            "contact": "王工 13800000009",
            "binding": Binding.DEPARTMENT,
            "department": district.department.pk,
            "scopes": [Scope.PROBLEMS_READ, Scope.PROBLEMS_HANDLE],
            "rate_per_minute": 60,
        },
    )
    assert response.status_code == 200
    key = re.search(r'value="(lia_[0-9a-f]+_[A-Za-z0-9_-]+)"', response.content.decode()).group(1)
    client = ApiClient.objects.get(name="12345 热线")
    assert client.key_hash == hash_key(key)
    assert key not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert client.user.profile.role == Role.DEPARTMENT_STAFF
    assert client.user.profile.department == district.department
    assert not client.user.has_usable_password()

    detail = office.get(reverse("integrations:client_detail", args=[client.pk]))
    assert key not in detail.content.decode()
    assert client.prefix in detail.content.decode()

    me = as_client(key).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["client"] == "12345 热线"
    assert me.json()["role"] == Role.DEPARTMENT_STAFF
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_a_department_client_needs_its_department(district):
    office = signed_in(Role.OFFICE)
    response = office.post(
        reverse("integrations:client_create"),
        {
            "name": "x",
            "contact": "y",
            "binding": Binding.DEPARTMENT,
            "scopes": [Scope.PROBLEMS_READ],
            "rate_per_minute": 60,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Choose the department it acts for." in response.content.decode()
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize(
    "role",
    [Role.ENTERPRISE, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.LEADER, Role.PRINCIPAL],
)
def test_only_the_office_has_the_clients_pages(district, register, role):
    client, _key = register()
    browser = signed_in(role)
    for url in (
        reverse("integrations:client_list"),
        reverse("integrations:client_create"),
        reverse("integrations:client_detail", args=[client.pk]),
        reverse("integrations:client_edit", args=[client.pk]),
    ):
        assert browser.get(url).status_code == 404
    assert browser.post(reverse("integrations:client_revoke", args=[client.pk])).status_code == 404
    assert ApiClient.objects.get(pk=client.pk).revoked_at is None


def test_a_revoked_key_is_refused(district, register):
    client, key = register()
    assert as_client(key).get("/api/v1/me/").status_code == 200
    office = signed_in(Role.OFFICE)
    office.post(reverse("integrations:client_revoke", args=[client.pk]))
    response = as_client(key).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json()["detail"] == "此 API 密钥已被吊销。"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer lia_000000000000_nope",
        "Bearer nothing",
        "Bearer " + "a" * 5000,
        "Bearer lia__x",
        "Bearer two words",
    ],
)
def test_a_wrong_key_is_refused_in_the_callers_language(district, register, header):
    _client, key = register()
    response = as_client("x").get(
        "/api/v1/me/", HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_key_of_another_client_with_the_same_prefix_is_refused(district, register):
    _client, key = register()
    forged = key[: key.rindex("_") + 1] + "x" * 43
    assert as_client(forged).get("/api/v1/me/").status_code == 401


def test_a_client_over_its_budget_is_told_when_to_come_back(district, register):
    cache.clear()
    _client, key = register(rate_per_minute=3)
    http = as_client(key)
    assert [http.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    response = http.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another client has its own budget.
    _other, other_key = register(name="other")
    assert as_client(other_key).get("/api/v1/me/").status_code == 200


def test_a_browser_user_uses_the_api_with_the_session(district):
    browser = signed_in(Role.DEPARTMENT_HEAD)
    response = browser.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["role"] == Role.DEPARTMENT_HEAD
    assert response.json()["client"] is None


def test_without_credentials_the_api_says_so(district):
    response = Client().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


def test_a_service_account_cannot_sign_in_to_the_web_pages(district, register):
    client, _key = register()
    browser = Client()
    # Its password is unusable: neither nothing nor the stored value itself lets it in.
    for password in ("", client.user.password):
        browser.post(reverse("login"), {"username": client.user.username, "password": password})
        assert "_auth_user_id" not in browser.session


def test_the_office_changes_a_clients_scopes_and_budget_but_not_its_key(district, register):
    client, key = register(scopes=[Scope.PROBLEMS_READ])
    office = signed_in(Role.OFFICE)
    page = office.get(reverse("integrations:client_detail", args=[client.pk]))
    assert 'id="webhooks-scope-missing"' in page.content.decode()
    response = office.post(
        reverse("integrations:client_edit", args=[client.pk]),
        {
            "name": "12345 热线（新）",
            "contact": "李工 13800000010",
            "scopes": [Scope.PROBLEMS_READ, Scope.WEBHOOKS],
            "rate_per_minute": 30,
            # Whom it acts for is not a field of the edit form: ignored.
            "binding": Binding.ENTERPRISE,
        },
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.name == "12345 热线（新）"
    assert client.scopes == [Scope.PROBLEMS_READ, Scope.WEBHOOKS]
    assert client.rate_per_minute == 30
    assert client.binding == Binding.DISTRICT
    assert as_client(key).get("/api/v1/me/").json()["scopes"] == client.scopes
    page = office.get(reverse("integrations:client_detail", args=[client.pk]))
    assert 'id="webhooks-scope-missing"' not in page.content.decode()


def test_a_client_cannot_take_another_clients_name(district, register):
    client, _key = register(name="A")
    register(name="B")
    response = signed_in(Role.OFFICE).post(
        reverse("integrations:client_edit", args=[client.pk]),
        {"name": "b", "contact": "x", "scopes": [Scope.PROBLEMS_READ], "rate_per_minute": 5},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "A client with this name exists already." in response.content.decode()
    client.refresh_from_db()
    assert client.name == "A"


def test_a_revoked_client_cannot_be_changed(district, register):
    client, _key = register(name="A")
    office = signed_in(Role.OFFICE)
    office.post(reverse("integrations:client_revoke", args=[client.pk]))
    office.post(
        reverse("integrations:client_edit", args=[client.pk]),
        {"name": "Z", "contact": "x", "scopes": [Scope.WEBHOOKS], "rate_per_minute": 5},
    )
    client.refresh_from_db()
    assert (client.name, client.scopes) == ("A", sorted(ALL_SCOPES))


def test_a_clients_account_is_sent_no_messages_and_is_not_offered_as_a_handler(district, register):
    from issues.forms import AssignHandlerForm
    from notifications.people import people

    client, _key = register(binding=Binding.DEPARTMENT, name="办案系统")
    staff = district.user(Role.DEPARTMENT_STAFF)
    assert client.user.profile.is_service_account
    assert set(people([client.user.pk, staff.pk])) == {staff.pk}
    choices = AssignHandlerForm(department=district.department).fields["handler"].queryset
    assert staff in choices and client.user not in choices
