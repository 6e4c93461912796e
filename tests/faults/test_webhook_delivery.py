"""Webhooks through real Celery workers and beat against the test's Redis: a receiver
that is down for a while gets every delivery once it is back; deliveries written while
Redis is down go out once it returns. Each delivery is checked (signature) and
deduplicated (delivery id) by the receiver of tests/api/receiver.py.
"""

from __future__ import annotations

import pytest

from api import services as clients
from api.models import Binding, Scope, WebhookDelivery, WebhookEvent
from api.webhooks import services as webhooks
from issues.models import Status
from tests.api.receiver import Receiver

from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

FAST_WEBHOOKS = {
    "LIAISON_WEBHOOKS_ALLOW_HTTP": "1",
    "LIAISON_WEBHOOKS_RETRY_DELAYS": ",".join(["1"] * 30),
    "LIAISON_WEBHOOKS_TIMEOUT": "1",
    "LIAISON_WEBHOOKS_LEASE_SECONDS": "5",
    "LIAISON_WEBHOOKS_REQUEUE_SECONDS": "1",
    "LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS": "2",
}


@pytest.fixture
def receiver(settings, office):
    settings.LIAISON_WEBHOOKS_ALLOW_HTTP = True
    # This process writes the deliveries (with the events): the time a written delivery
    # waits for its task before the requeue takes it is this process's setting.
    settings.LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS = int(
        FAST_WEBHOOKS["LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS"]
    )
    server = Receiver()
    server.start()
    client, _key = clients.client_create(
        actor=office,
        name="12345 hotline",
        contact="王工 13800000009",
        binding=Binding.DISTRICT,
        scopes=[Scope.WEBHOOKS],
    )
    subscription = webhooks.subscription_create(
        client=client, url=server.url("/hooks"), event_types=list(WebhookEvent.values)
    )
    server.secrets["/hooks"] = subscription.secret
    yield server
    server.stop()


def all_delivered() -> bool:
    return not WebhookDelivery.objects.exclude(state="delivered").exists()


def expected_ids() -> set[str]:
    return {str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)}


def test_a_receiver_down_for_a_while_gets_every_delivery_once_it_is_back(
    stack, this_process_uses, receiver, make_problem
):
    stack.environment.update(FAST_WEBHOOKS)
    stack.worker("notifications", concurrency=2)
    stack.beat()
    receiver.stop()  # connection refused

    problems = [make_problem(Status.IN_PROGRESS) for _ in range(3)]  # committed: queued
    wait_for(
        lambda: WebhookDelivery.objects.filter(attempts__gte=2).exists(),
        30,
        f"deliveries tried and retried\n{stack.logs()}",
    )
    assert not WebhookDelivery.objects.filter(state="delivered").exists()

    receiver.start()
    wait_for(all_delivered, 60, f"every delivery delivered\n{stack.logs()}")

    assert set(receiver.received) == expected_ids()
    assert len(receiver.received) == 6  # dispatched and acknowledged, for each problem
    assert receiver.bad_signatures == 0
    assert {ref for _event, ref in receiver.events()} == {p.reference for p in problems}


def test_deliveries_written_while_redis_is_down_go_out_when_it_returns(
    stack, this_process_uses, redis_server, receiver, make_problem
):
    stack.environment.update(FAST_WEBHOOKS)
    redis_server.kill()

    problem = make_problem(Status.DISPATCHED)  # the transition succeeds; nothing queued
    assert WebhookDelivery.objects.filter(state="pending").count() == 1

    redis_server.start()
    stack.worker("notifications")
    stack.beat()
    wait_for(all_delivered, 60, f"the delivery delivered\n{stack.logs()}")

    assert receiver.events() == [("problem.dispatched", problem.reference)]
    assert receiver.bad_signatures == 0
