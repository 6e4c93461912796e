"""The office's webhook pages (subscriptions on a client's page, the delivery log) and a
client's own subscriptions through /api/v1/webhooks/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api import services as clients
from api.models import Binding, Scope, WebhookDelivery, WebhookEvent, WebhookSubscription
from api.webhooks import services as webhooks
from issues.models import Status
from tests.issues.conftest import *  # noqa: F403  (the personas and make_problem)
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import as_client

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.gov.cn/liaison"


@pytest.fixture
def hotline(office):
    client, key = clients.client_create(
        actor=office,
        name="12345 hotline",
        contact="王工 13800000009",
        binding=Binding.DISTRICT,
        scopes=[Scope.WEBHOOKS, Scope.PROBLEMS_READ],
    )
    client.key = key
    return client


@pytest.fixture
def subscription(hotline):
    return webhooks.subscription_create(
        client=hotline, url=HOOK, event_types=list(WebhookEvent.values)
    )


def test_the_office_adds_a_subscription_and_sees_its_secret(client_as, office, hotline):
    page = client_as(office)
    response = page.post(
        reverse("integrations:subscription_create", args=[hotline.pk]),
        {"url": HOOK, "event_types": ["problem.resolved", "problem.closed"]},
    )

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "integrations:subscription_detail", args=[subscription.pk]
    )
    assert subscription.event_types == ["problem.closed", "problem.resolved"]
    detail = page.get(response["Location"])
    assert subscription.secret in detail.content.decode()
    assert (
        HOOK in page.get(reverse("integrations:client_detail", args=[hotline.pk])).content.decode()
    )


def test_a_bad_url_is_refused_with_its_reason(client_as, office, hotline, settings):
    settings.LIAISON_WEBHOOKS_ALLOW_HTTP = False
    response = client_as(office).post(
        reverse("integrations:subscription_create", args=[hotline.pk]),
        {"url": "http://hooks.example.gov.cn/", "event_types": ["problem.resolved"]},
    )

    assert response.status_code == 200
    assert "https://" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_new_secret_replaces_the_old(client_as, office, subscription):
    old = subscription.secret
    client_as(office).post(
        reverse("integrations:subscription_rotate_secret", args=[subscription.pk])
    )
    subscription.refresh_from_db()
    assert subscription.secret != old


def test_only_the_office_sees_the_webhook_pages(client_as, lead_head, subscription):
    page = client_as(lead_head)
    for url in (
        reverse("integrations:delivery_list"),
        reverse("integrations:subscription_detail", args=[subscription.pk]),
    ):
        assert page.get(url).status_code == 404


def test_the_delivery_log_filters_by_client_and_state_in_constant_queries(
    client_as, office, subscription, make_problem, django_assert_num_queries
):
    for _ in range(3):
        make_problem(Status.IN_PROGRESS)
    WebhookDelivery.objects.filter(event_type="problem.acknowledged").update(
        state="failed", next_attempt_at=None, last_error="HTTP 500", last_status_code=500
    )
    page = client_as(office)
    url = reverse("integrations:delivery_list")

    # session, user, profile; the client filtered on; count; the clients of the filter's
    # menu; the page of deliveries with their subscriptions, clients, events and problems
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = page.get(url, {"client": subscription.client_id, "state": "failed"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
    assert {d.state for d in response.context["page"].object_list} == {"failed"}
    assert len(page.get(url).context["page"].object_list) == 6


def test_the_office_sends_a_failed_delivery_again_and_sees_its_attempts(
    client_as, office, subscription, make_problem
):
    make_problem(Status.DISPATCHED)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state="failed", attempts=8, next_attempt_at=None
    )
    page = client_as(office)

    assert page.get(reverse("integrations:delivery_detail", args=[delivery.pk])).status_code == 200
    page.post(reverse("integrations:delivery_send_again", args=[delivery.pk]))

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)


def test_the_office_enables_a_disabled_subscription(client_as, office, subscription):
    webhooks.subscription_disable(subscription_id=subscription.pk, reason="test")

    client_as(office).post(reverse("integrations:subscription_enable", args=[subscription.pk]))

    subscription.refresh_from_db()
    assert subscription.disabled_at is None


# --- /api/v1/webhooks/ ---------------------------------------------------------------------


def test_a_client_manages_its_own_subscriptions(hotline):
    api = as_client(hotline.key)

    created = api.post(
        "/api/v1/webhooks/", {"url": HOOK, "event_types": ["problem.resolved"]}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    pk = created.json()["id"]

    listed = api.get("/api/v1/webhooks/").json()
    assert [s["id"] for s in listed] == [pk]
    assert "secret" not in listed[0]

    changed = api.patch(
        f"/api/v1/webhooks/{pk}/", {"event_types": ["problem.closed"]}, format="json"
    )
    assert changed.json()["event_types"] == ["problem.closed"]
    rotated = api.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.json()["secret"] != created.json()["secret"]
    assert api.delete(f"/api/v1/webhooks/{pk}/").status_code == 204


def test_the_api_refuses_bad_input_with_field_errors(hotline):
    api = as_client(hotline.key)
    answer = api.post(
        "/api/v1/webhooks/", {"url": "ftp://x", "event_types": ["problem.eaten"]}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) >= {"url", "event_types"} or "errors" in answer.json()


def test_another_clients_subscription_is_a_404_and_the_scope_is_needed(
    office, hotline, subscription
):
    other, key = clients.client_create(
        actor=office,
        name="portal",
        contact="x",
        binding=Binding.DISTRICT,
        scopes=[Scope.WEBHOOKS],
    )
    assert as_client(key).get(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404
    _no_scope, key = clients.client_create(
        actor=office,
        name="bi",
        contact="x",
        binding=Binding.DISTRICT,
        scopes=[Scope.PROBLEMS_READ],
    )
    assert as_client(key).get("/api/v1/webhooks/").status_code == 403


def test_the_office_pages_cost_a_fixed_number_of_queries(
    client_as, office, subscription, make_problem, django_assert_num_queries
):
    """However many clients and subscriptions: session, user and profile, then the page's
    own rows (the clients with their department and enterprise and a count; a client with
    its subscriptions; a subscription with its client and deliveries; a delivery with its
    subscription and attempts)."""
    page = client_as(office)
    for n in range(4):
        clients.client_create(
            actor=office, name=f"system {n}", contact="x", binding=Binding.DISTRICT, scopes=[]
        )
        webhooks.subscription_create(
            client=subscription.client, url=f"{HOOK}/{n}", event_types=list(WebhookEvent.values)
        )
    make_problem(Status.IN_PROGRESS)
    delivery = WebhookDelivery.objects.first()
    for url in (
        reverse("integrations:client_list"),
        reverse("integrations:client_detail", args=[subscription.client_id]),
        reverse("integrations:subscription_detail", args=[subscription.pk]),
        reverse("integrations:delivery_detail", args=[delivery.pk]),
    ):
        with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
            assert page.get(url).status_code == 200, url
