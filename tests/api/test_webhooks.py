"""Webhooks: the outbox written with each event, who is sent what, signatures, retries,
disabling after repeated failure, and the fan-out's queries.

A receiver in the test (tests/api/receiver.py) checks every signature and deduplicates by
delivery id. Deliveries are sent by calling the worker's code (`send_due`) or, where
said, through Celery run eagerly; tests/faults/test_webhook_delivery.py runs real workers.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api import services as clients
from api.models import Binding, Scope, WebhookDelivery, WebhookEvent, WebhookSubscription
from api.webhooks import fanout, sending
from api.webhooks import services as webhooks
from issues import deadlines, workflow
from issues.models import EventKind, ProblemEvent, Status
from notifications.models import Notification
from tests.issues.conftest import *  # noqa: F403  (the personas and make_problem)

from .receiver import Receiver

pytestmark = pytest.mark.django_db
ALL_EVENTS = list(WebhookEvent.values)
ESCALATED = dt.datetime(2025, 10, 17, 0, 0, 1, tzinfo=dt.UTC) + dt.timedelta(hours=-8)


@pytest.fixture
def receiver(settings):
    settings.LIAISON_WEBHOOKS_ALLOW_HTTP = True
    settings.LIAISON_WEBHOOKS_TIMEOUT = 1.0
    settings.LIAISON_WEBHOOKS_RETRY_DELAYS = [0, 0, 0]
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(office, receiver):
    """subscribe(binding, path, events=ALL_EVENTS, **binding_kw) -> subscription."""

    def _subscribe(binding=Binding.DISTRICT, path="/hooks", events=None, scopes=None, **kw):
        client, _key = clients.client_create(
            actor=office,
            name=f"client {path}",
            contact="王工 13800000009",
            binding=binding,
            scopes=[Scope.WEBHOOKS] if scopes is None else scopes,
            **kw,
        )
        subscription = webhooks.subscription_create(
            client=client, url=receiver.url(path), event_types=events or ALL_EVENTS
        )
        receiver.secrets[path] = subscription.secret
        return subscription

    return _subscribe


def send_due(rounds: int = 1) -> None:
    """What the workers do: send every delivery waiting, `rounds` times (retries are due
    at once in these tests)."""
    for _ in range(rounds):
        ids = list(
            WebhookDelivery.objects.filter(state__in=["pending", "sending"])
            .order_by("subscription", "created_at")
            .values_list("pk", flat=True)
        )
        sending.deliver_batch([str(pk) for pk in ids])


def deliveries(**filters):
    return WebhookDelivery.objects.filter(**filters)


# --- what is written, and when ------------------------------------------------------------


def test_a_transition_writes_its_delivery_and_the_receiver_gets_it_signed(
    make_problem, subscribe, receiver, lead_department
):
    subscribe()
    problem = make_problem(Status.IN_PROGRESS)

    assert sorted(deliveries().values_list("event_type", flat=True)) == [
        "problem.acknowledged",
        "problem.dispatched",
    ]
    send_due()

    assert receiver.bad_signatures == 0
    assert receiver.events() == [
        ("problem.acknowledged", problem.reference),
        ("problem.dispatched", problem.reference),
    ]
    body = next(
        item["body"]
        for item in receiver.received.values()
        if item["event"] == "problem.acknowledged"
    )
    event = ProblemEvent.objects.get(problem=problem, kind=EventKind.ACKNOWLEDGED)
    assert body["event"] == {
        "id": event.pk,
        "type": "problem.acknowledged",
        "kind": "acknowledged",
        "created_at": body["event"]["created_at"],
    }
    assert body["problem"] == {
        "reference": problem.reference,
        "status": "in_progress",
        "version": problem.version,
        "lead_department": {"id": lead_department.pk, "name": lead_department.name},
        "due_at": body["problem"]["due_at"],
        "url": f"http://127.0.0.1:8000/api/v1/problems/{problem.reference}/",
    }
    assert dt.datetime.fromisoformat(body["problem"]["due_at"]) == problem.due_at
    assert set(deliveries().values_list("state", "attempts", "last_status_code")) == {
        ("delivered", 1, 204)
    }


def test_the_signature_covers_timestamp_and_body_with_the_secret():
    assert sending.signature("whsec_x", 1700000000, b'{"a":1}') == (
        "v1=" + __import__("hmac").new(b"whsec_x", b'1700000000.{"a":1}', "sha256").hexdigest()
    )


def test_a_rolled_back_transition_writes_and_sends_nothing(
    make_problem, subscribe, receiver, office, lead_staff
):
    subscribe()
    problem = make_problem(Status.SUBMITTED)

    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.problem_dispatch(
            problem_id=problem.pk, actor=office, lead_department=lead_staff.profile.department
        )
        assert deliveries().count() == 1  # written with the event, inside its transaction
        raise RuntimeError("something after the transition failed")

    assert deliveries().count() == 0
    send_due()
    assert receiver.requests == 0


def test_events_that_are_not_subscribed_or_not_sent_write_nothing(make_problem, subscribe):
    subscribe(events=["problem.resolved"])
    make_problem(Status.IN_PROGRESS)  # submitted, dispatched, acknowledged

    assert deliveries().count() == 0


def test_a_revoked_client_or_one_without_the_scope_or_disabled_gets_nothing(
    make_problem, subscribe, office
):
    revoked = subscribe(path="/revoked")
    clients.client_revoke(actor=office, client_id=revoked.client_id)
    subscribe(path="/no-scope", scopes=[Scope.PROBLEMS_READ])
    disabled = subscribe(path="/disabled")
    webhooks.subscription_disable(subscription_id=disabled.pk, reason="test")

    make_problem(Status.DISPATCHED)

    assert deliveries().count() == 0


def test_a_committed_transition_queues_its_delivery_through_celery(
    celery_eager, make_problem, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        problem = make_problem(Status.DISPATCHED)

    assert receiver.events() == [("problem.dispatched", problem.reference)]
    assert deliveries(state="delivered").count() == 1


# --- who is sent what ---------------------------------------------------------------------


def test_a_department_client_gets_only_its_own_departments_problems(
    make_problem,
    subscribe,
    receiver,
    lead_department,
    other_department,
    co_department,
    other_staff,
):
    subscribe(Binding.DEPARTMENT, "/lead", department=lead_department)
    subscribe(Binding.DEPARTMENT, "/other", department=other_department)
    subscribe(Binding.DEPARTMENT, "/co", department=co_department)
    ours = make_problem(Status.DISPATCHED, co_departments=[co_department])
    theirs = make_problem(Status.DISPATCHED, lead=other_staff)
    send_due()

    assert receiver.events("/lead") == [("problem.dispatched", ours.reference)]
    assert receiver.events("/co") == [("problem.dispatched", ours.reference)]
    assert receiver.events("/other") == [("problem.dispatched", theirs.reference)]


def test_an_enterprise_client_gets_its_own_public_events_never_internal_ones(
    make_problem, subscribe, receiver, enterprise, other_enterprise_user, people_to_escalate
):
    subscribe(Binding.ENTERPRISE, "/ent", enterprise=enterprise)
    subscribe(Binding.DISTRICT, "/district")
    ours = make_problem(Status.IN_PROGRESS)
    make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user)
    with time_machine.travel(ESCALATED, tick=False):
        assert deadlines.sweep().as_dict()["escalated"] == 2
    send_due()

    # The escalation is internal (DESIGN.md §3): the district's client hears of it.
    assert receiver.events("/ent") == [
        ("problem.acknowledged", ours.reference),
        ("problem.dispatched", ours.reference),
    ]
    assert [e for e, _ref in receiver.events("/district")].count("problem.escalated") == 2
    for item in receiver.received.values():
        assert set(item["body"]) == {"event", "problem"}  # no text, no note, no names


@pytest.fixture
def people_to_escalate(office, leader, principal, lead_head):
    return office


def test_the_closed_and_extension_events_are_sent(
    make_problem, subscribe, receiver, lead_staff, office
):
    subscribe()
    closed = make_problem(Status.CLOSED)
    extended = make_problem(Status.IN_PROGRESS)
    extension = workflow.problem_request_extension(
        problem_id=extended.pk, actor=lead_staff, days=3, reason="需要现场核查"
    )
    workflow.problem_decide_extension(
        extension_id=extension.pk, actor=office, approve=True, note="同意"
    )
    send_due()

    events = receiver.events()
    assert ("problem.closed", closed.reference) in events
    assert ("problem.resolved", closed.reference) in events
    assert ("problem.extension_decided", extended.reference) in events


# --- a receiver that fails ---------------------------------------------------------------


def test_a_receiver_down_for_a_while_gets_everything_once_it_is_back(
    make_problem, subscribe, receiver, settings
):
    settings.LIAISON_WEBHOOKS_RETRY_DELAYS = [0] * 10
    settings.LIAISON_WEBHOOKS_TIMEOUT = 0.3
    subscribe()
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(3)]

    receiver.stop()  # connection refused
    send_due()
    receiver.start()
    receiver.mode = "error"  # up, but answering 500
    send_due()
    receiver.mode, receiver.delay = "slow", 0.6  # answering after the timeout
    send_due()
    assert deliveries(state="pending").count() == 6
    assert deliveries(state="delivered").count() == 0

    receiver.mode = "ok"
    send_due(rounds=2)

    expected = sorted(
        (kind, p.reference)
        for p in problems
        for kind in ("problem.dispatched", "problem.acknowledged")
    )
    assert receiver.events() == expected  # each once, whatever arrived twice
    assert deliveries(state="delivered").count() == 6
    assert receiver.bad_signatures == 0
    # The failed attempts are in the log: refused, 500 (its body cut short), time-out.
    delivery = deliveries().order_by("created_at").first()
    attempts = list(delivery.attempt_log.order_by("number"))
    assert "Connection refused" in attempts[0].error or "Errno 111" in attempts[0].error
    assert [a.status_code for a in attempts[1:]][:1] == [500]
    assert len(attempts[1].response) == 1000
    assert any("timed out" in a.error for a in attempts)


def test_after_a_receivers_failure_its_other_deliveries_in_the_batch_wait_untried(
    make_problem, subscribe, receiver
):
    subscribe()
    for _ in range(5):
        make_problem(Status.DISPATCHED)
    receiver.stop()

    send_due()

    assert deliveries(attempts=1).count() == 1
    assert deliveries(attempts=0, state="pending").count() == 4


def test_after_repeated_failure_the_subscription_is_disabled_and_the_office_told(
    make_problem, subscribe, receiver, office
):
    subscription = subscribe()
    make_problem(Status.DISPATCHED)
    receiver.mode = "error"

    send_due(rounds=4)  # 4 attempts: the first and one after each of 3 delays

    delivery = deliveries().get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 4, 500)
    subscription.refresh_from_db()
    assert subscription.disabled_at is not None
    told = Notification.objects.filter(recipient=office, kind="webhook_disabled", channel="in_app")
    assert told.count() == 1
    assert subscription.url in told.get().body

    # Disabled: new events are not written for it, and nothing waiting is sent.
    make_problem(Status.DISPATCHED)
    assert deliveries().count() == 1

    # Enabled again by the office, the failed delivery sent again: received once.
    receiver.mode = "ok"
    assert webhooks.subscription_enable(subscription_id=subscription.pk)
    assert webhooks.delivery_send_again(delivery_id=delivery.pk)
    send_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    assert len(receiver.received) == 1


def test_a_delivery_being_sent_is_not_sent_again_until_its_lease_runs_out(
    make_problem, subscribe, receiver
):
    subscribe()
    make_problem(Status.DISPATCHED)
    delivery = deliveries().get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state="sending", next_attempt_at=timezone.now() + dt.timedelta(minutes=1)
    )

    assert sending.deliver(str(delivery.pk)) == "sending"
    assert receiver.requests == 0
    assert sending.requeue_pending() == 0


def test_the_requeue_hands_over_what_waits_past_its_time(
    make_problem, subscribe, receiver, celery_eager
):
    subscribe()
    make_problem(Status.DISPATCHED)  # its task was never queued (no commit in a test)

    assert sending.requeue_pending() == 0  # too recent: its task may be on its way
    assert sending.requeue_pending(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    assert deliveries(state="delivered").count() == 1


def test_plain_http_is_refused_unless_allowed(subscribe, settings, office):
    settings.LIAISON_WEBHOOKS_ALLOW_HTTP = False
    client, _ = clients.client_create(
        actor=office, name="c", contact="x", binding=Binding.DISTRICT, scopes=[Scope.WEBHOOKS]
    )
    for url in ("http://example.gov.cn/h", "https://u:p@example.gov.cn/h", "ftp://x/y", "x"):
        with pytest.raises(ValidationError):
            webhooks.subscription_create(client=client, url=url, event_types=ALL_EVENTS)
    subscription = webhooks.subscription_create(
        client=client, url="https://example.gov.cn/h", event_types=ALL_EVENTS
    )
    assert subscription.secret.startswith("whsec_")


# --- queries ------------------------------------------------------------------------------


def _events(problems, kind=EventKind.ESCALATED):
    return [
        ProblemEvent.objects.create(problem=p, kind=kind, is_public=False, data={})
        for p in problems
    ]


def test_the_fan_out_takes_the_same_queries_for_1_or_20_events_and_1_or_3_subscriptions(
    make_problem, subscribe, lead_department, enterprise, django_assert_num_queries
):
    problems = [make_problem(Status.DISPATCHED) for _ in range(20)]
    subscribe(Binding.DEPARTMENT, "/dept", department=lead_department)
    one, many = _events(problems[:1]), _events(problems)

    # subscriptions with their clients; problems; co-departments (a department's client);
    # one INSERT of every delivery
    with django_assert_num_queries(4):
        assert fanout.deliveries_for_events(one) == 1
    subscribe(Binding.DISTRICT, "/district")
    subscribe(Binding.ENTERPRISE, "/ent", enterprise=enterprise)
    with django_assert_num_queries(4):
        assert fanout.deliveries_for_events(many) == 40  # not the enterprise's: internal
    with django_assert_num_queries(4):
        assert fanout.deliveries_for_events(many) == 0  # never doubled


def test_events_of_kinds_never_sent_cost_no_query(make_problem, django_assert_num_queries):
    problem = make_problem(Status.IN_PROGRESS)
    progress = _events([problem], kind=EventKind.PROGRESS)
    with django_assert_num_queries(0):
        assert fanout.deliveries_for_events(progress) == 0


def test_the_body_is_stored_once_per_event_and_is_valid_json(make_problem, subscribe):
    subscribe(path="/a")
    subscribe(path="/b")
    make_problem(Status.DISPATCHED)

    bodies = set(deliveries().values_list("body", flat=True))
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["event"]["type"] == "problem.dispatched"
    assert WebhookSubscription.objects.count() == 2
