"""Delivery from the outbox: e-mail and SMS sent once, retried, failed visibly, never lost.

Celery runs eagerly here (`eager`), so a queued task runs at once in this process and
the test sees its effect; nothing is written to the development broker.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import time

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from issues import notifications, workflow
from issues.models import EventKind, Status
from liaison.celery import app
from liaison.models import Profile
from notifications import api as outbox
from notifications import delivery
from notifications import tasks as notification_tasks
from notifications.models import Notification
from tests.issues.conftest import NOW

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class BrokenSMTPBackend(BaseEmailBackend):
    """An e-mail backend whose server is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RecordingSmsBackend:
    sent: list[tuple[str, str]] = []

    def send(self, message) -> None:
        self.sent.append((message.phone, message.text))


@pytest.fixture
def eager():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def broker_down():
    previous = app.conf.get("broker_write_url")
    app.conf.broker_write_url = UNREACHABLE_BROKER
    yield
    app.conf.broker_write_url = previous


@pytest.fixture
def addressed(office, lead_head, enterprise_user, leader):
    for user in (office, lead_head, enterprise_user, leader):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    Profile.objects.filter(user=lead_head).update(language="en")


def emails(**filters):
    return Notification.objects.filter(channel="email", **filters)


def dispatch(office, problem, lead_head):
    return workflow.problem_dispatch(
        problem_id=problem.pk, actor=office, lead_department=lead_head.profile.department
    )


# --- sending ----------------------------------------------------------------------------


def test_it_sends_an_email_with_text_html_and_link_then_marks_it_sent(
    addressed, make_problem, lead_head
):
    problem = make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()

    assert outbox.deliver(row.pk) == "sent"

    [message] = mail.outbox
    assert message.to == ["lead_head@example.cn"]
    assert message.subject == f"[{problem.reference}] Dispatched: {problem.title}"
    assert "Please acknowledge it" in message.body
    assert f"http://127.0.0.1:8000/problems/{problem.reference}/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="http://127.0.0.1:8000/problems/{problem.reference}/"' in html
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_it_sends_in_the_recipients_language(addressed, make_problem, enterprise_user):
    problem = make_problem(Status.DISPATCHED)

    outbox.deliver(emails(recipient=enterprise_user).get().pk)

    [message] = mail.outbox
    assert message.subject == f"[{problem.reference}] 交办: {problem.title}"
    assert problem.lead_department.name in message.body


def test_it_never_sends_a_message_twice(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()

    assert outbox.deliver(row.pk) == "sent"
    assert outbox.deliver(row.pk) == "sent"  # a redelivered task (acks_late)
    notification_tasks.deliver_notification.apply(args=[row.pk])

    assert len(mail.outbox) == 1


def test_it_ignores_a_missing_or_in_app_row(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    in_app = Notification.objects.get(recipient=lead_head, channel="in_app")

    assert outbox.deliver(in_app.pk) == "sent"
    assert outbox.deliver(10**9) == "missing"
    assert mail.outbox == []


def test_it_skips_a_message_whose_address_was_removed(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    lead_head.email = ""
    lead_head.save(update_fields=["email"])

    assert outbox.deliver(emails(recipient=lead_head).get().pk) == "skipped"
    assert mail.outbox == []


def test_it_sends_sms_through_the_configured_backend(
    addressed, make_problem, leader, settings, caplog
):
    Profile.objects.filter(user=leader).update(phone="13800138000")
    problem = make_problem(Status.DISPATCHED)
    event = problem.events.create(kind=EventKind.ESCALATED, is_public=False)
    notifications.write_for_events([(event, [leader])])
    sms = Notification.objects.get(channel="sms")

    # The default backend writes to the log.
    with caplog.at_level("INFO", logger="notifications.delivery"):
        assert outbox.deliver(sms.pk) == "sent"
    # With the number masked, as every phone number in the log (liaison.logs).
    assert "SMS to 138****8000" in caplog.text
    assert "13800138000" not in caplog.text

    settings.LIAISON_SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    Notification.objects.filter(pk=sms.pk).update(state="pending", next_attempt_at=timezone.now())
    assert outbox.deliver(sms.pk) == "sent"
    assert RecordingSmsBackend.sent == [("13800138000", sms.body)]


# --- the whole path through Celery -------------------------------------------------------


def test_a_transition_delivers_its_emails_through_celery_after_commit(
    eager, addressed, make_problem, office, lead_head, django_capture_on_commit_callbacks
):
    problem = make_problem(Status.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch(office, problem, lead_head)
        assert mail.outbox == []  # nothing leaves before the commit

    assert sorted(m.to[0] for m in mail.outbox) == [
        "enterprise_user@example.cn",
        "lead_head@example.cn",
    ]
    assert set(emails().values_list("state", flat=True)) == {"sent"}


# --- the broker is down -----------------------------------------------------------------


def test_with_the_broker_down_a_transition_succeeds_and_mail_waits(
    broker_down,
    addressed,
    make_problem,
    office,
    lead_head,
    caplog,
    django_capture_on_commit_callbacks,
):
    problem = make_problem(Status.SUBMITTED)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("WARNING"):
        dispatch(office, problem, lead_head)
    elapsed = time.monotonic() - started

    assert "could not queue 2 notification(s)" in caplog.text
    assert "127.0.0.1:1" in caplog.text  # the real connection to the unreachable broker

    assert problem.events.filter(kind=EventKind.DISPATCHED).exists()
    assert set(emails().values_list("state", "attempts")) == {("pending", 0)}
    assert emails().count() == 2
    assert elapsed < 2  # no connection retries inside the request
    assert mail.outbox == []


def test_once_the_broker_is_back_the_requeue_delivers_each_message_once(
    addressed, make_problem, office, lead_head, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broker_refuses(*args, **kwargs):
        calls.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_tasks.deliver_notification, "apply_async", broker_refuses)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            dispatch(office, make_problem(Status.SUBMITTED), lead_head)
    assert len(calls) == 3  # one try per transition: the first refusal stops the loop
    assert emails(state="pending").count() == 6

    monkeypatch.undo()
    app.conf.task_always_eager = True
    try:
        # Too recent: a task may still be on its way.
        assert outbox.requeue_pending() == 0
        later = timezone.now() + dt.timedelta(minutes=2)
        assert outbox.requeue_pending(now=later) == 6
        assert outbox.requeue_pending(now=later) == 0
        notification_tasks.requeue_pending_notifications.apply()
    finally:
        app.conf.task_always_eager = False

    assert len(mail.outbox) == 6
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 6  # none doubled
    assert set(emails().values_list("state", flat=True)) == {"sent"}


def test_the_requeue_takes_a_bounded_batch_of_due_messages(addressed, make_problem, monkeypatch):
    queued = []
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.extend(ids) or len(ids))
    for _ in range(3):
        make_problem(Status.DISPATCHED)
    rows = list(emails().order_by("created_at", "id"))
    later = timezone.now() + dt.timedelta(minutes=2)
    # Tried once and waiting for its next attempt, an hour away.
    Notification.objects.filter(pk=rows[0].pk).update(
        attempts=1, next_attempt_at=later + dt.timedelta(hours=1)
    )

    assert outbox.requeue_pending(now=later, batch=2) == 2
    assert queued == [rows[1].pk, rows[2].pk]


# --- SMTP is failing ---------------------------------------------------------------------


def test_with_smtp_failing_the_email_is_retried_then_failed_and_shown_to_the_office(
    eager,
    addressed,
    make_problem,
    office,
    lead_head,
    settings,
    client_as,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSMTPBackend"
    problem = make_problem(Status.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch(office, problem, lead_head)

    problem.refresh_from_db()
    assert problem.status == Status.DISPATCHED  # the transition stands
    row = emails(recipient=lead_head).get()
    assert (row.state, row.attempts) == ("pending", 1)  # its next attempt is in the row
    # Each run of the requeue once the next attempt is due: one more attempt.
    for attempt in range(2, outbox.max_attempts() + 1):
        outbox.requeue_pending(now=timezone.now() + dt.timedelta(days=1))
        row.refresh_from_db()
        assert row.attempts == attempt
    failed = emails(recipient=lead_head).get()
    assert failed.state == "failed"
    assert failed.attempts == outbox.max_attempts()
    assert "SMTPServerDisconnected" in failed.last_error
    in_app = Notification.objects.get(recipient=lead_head, channel="in_app")
    assert in_app.state == "sent"  # the bell still works

    page = client_as(office).get("/problems/notifications/outbox/")
    assert page.status_code == 200
    assert failed.subject in page.content.decode()


def test_a_sending_error_is_recorded_and_the_next_attempt_scheduled_in_the_row(
    addressed, make_problem, lead_head, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSMTPBackend"
    settings.LIAISON_OUTBOX_RETRY_DELAYS = [60, 600]
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()

    started = timezone.now()
    assert outbox.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in row.last_error
    assert started + dt.timedelta(seconds=60) <= row.next_attempt_at
    assert row.next_attempt_at <= timezone.now() + dt.timedelta(seconds=60)

    assert outbox.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at >= started + dt.timedelta(seconds=600)

    assert outbox.deliver(row.pk) == "failed"  # the third: no delay left
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 3, None)


def test_the_office_can_send_a_failed_message_again(
    eager, addressed, make_problem, lead_head, django_capture_on_commit_callbacks
):
    make_problem(Status.DISPATCHED, now=NOW)
    row = emails(recipient=lead_head).get()
    Notification.objects.filter(pk=row.pk).update(
        state="failed", attempts=9, last_error="x", next_attempt_at=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_send_again(notification_ids=[row.pk]) == 1

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    assert outbox.outbox_send_again(notification_ids=[row.pk]) == 0  # it went out


# --- claims, leases and the schedule held in the row -------------------------------------


def test_a_message_being_sent_is_not_sent_again_until_its_lease_runs_out(
    addressed, make_problem, lead_head, monkeypatch
):
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()
    # Another worker claimed it a moment ago.
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        state="sending", attempts=1, next_attempt_at=now + dt.timedelta(minutes=5)
    )

    queued = []
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.extend(ids) or len(ids))

    assert outbox.deliver(row.pk) == "sending"
    outbox.requeue_pending(now=now + dt.timedelta(minutes=4))
    assert row.pk not in queued
    assert mail.outbox == []

    # That worker died mid-send: once the lease ran out, the message is due again.
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=now - dt.timedelta(seconds=1))
    assert outbox.deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == ("sent", 2, None)
    assert len(mail.outbox) == 1


def test_a_delivery_whose_lease_ran_out_does_not_overwrite_the_one_that_took_over(
    addressed, make_problem, lead_head, settings, monkeypatch
):
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()
    real_send = delivery._send_email
    calls = []

    def slow_then_overtaken(notification):
        calls.append(notification.attempts)
        if len(calls) == 1:
            # Slower than the lease: another delivery takes the message over and sends it.
            Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            assert outbox.deliver(row.pk) == "sent"
            raise smtplib.SMTPServerDisconnected("the first one's server finally gave up")
        real_send(notification)

    monkeypatch.setattr(delivery, "_send_email", slow_then_overtaken)

    assert outbox.deliver(row.pk) == "pending"  # what the first one believed
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert calls == [1, 2]


def test_a_message_whose_every_attempt_was_cut_short_is_failed(
    addressed, make_problem, lead_head, settings
):
    settings.LIAISON_OUTBOX_RETRY_DELAYS = [60]
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()
    Notification.objects.filter(pk=row.pk).update(
        state="sending", attempts=2, next_attempt_at=timezone.now()
    )

    assert outbox.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert "interrupted 2 times" in row.last_error
    assert mail.outbox == []


def test_every_email_carries_a_message_id_of_its_own_row_the_same_at_every_attempt(
    addressed, make_problem, lead_head, enterprise_user, settings
):
    settings.LIAISON_SITE_URL = "https://liaison.example.gov.cn"
    make_problem(Status.DISPATCHED)
    rows = list(emails().order_by("pk"))
    for row in rows:
        outbox.deliver(row.pk)
    first = rows[0]
    Notification.objects.filter(pk=first.pk).update(state="pending", next_attempt_at=timezone.now())
    outbox.deliver(first.pk)  # sent again, e.g. after a worker was killed mid-send

    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert ids[0] == ids[2] == outbox.message_id(first)
    assert ids[0] != ids[1]
    assert ids[0].startswith(f"<outbox-{first.pk}-")
    assert ids[0].endswith("@liaison.example.gov.cn>")
    assert "Message-ID: " + ids[0] in mail.outbox[0].message().as_string()


def test_a_message_stuck_in_its_retry_chain_is_taken_up_when_its_time_comes(
    addressed, make_problem, lead_head, monkeypatch
):
    queued = []
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.extend(ids) or len(ids))
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()
    # Tried three times; the broker that held its retry restarted empty.
    due = timezone.now() + dt.timedelta(minutes=10)
    Notification.objects.filter(pk=row.pk).update(attempts=3, next_attempt_at=due)

    outbox.requeue_pending(now=due - dt.timedelta(seconds=1))
    assert row.pk not in queued
    outbox.requeue_pending(now=due)
    assert row.pk in queued
    row.refresh_from_db()
    # Handed over; if this hand-over is lost too, it is due again shortly.
    assert row.next_attempt_at == due + outbox.requeue_after()


def test_the_default_schedule_rides_out_an_outage_of_several_hours():
    delays = outbox.retry_delays()

    assert sum(delays, dt.timedelta()) >= dt.timedelta(hours=6)
    assert delays == sorted(delays)
    assert outbox.max_attempts() == len(delays) + 1


def test_the_office_can_send_a_message_stuck_waiting_or_cut_short_again(
    addressed, make_problem, lead_head, monkeypatch
):
    monkeypatch.setattr(delivery, "enqueue", lambda ids: len(ids))
    make_problem(Status.DISPATCHED)
    waiting, other = emails().order_by("pk")
    later = timezone.now() + dt.timedelta(hours=3)
    Notification.objects.filter(pk=waiting.pk).update(attempts=4, next_attempt_at=later)
    Notification.objects.filter(pk=other.pk).update(state="sending", next_attempt_at=later)

    # The one being sent right now (its lease runs) is left alone.
    assert outbox.outbox_send_again(notification_ids=[waiting.pk, other.pk]) == 1
    waiting.refresh_from_db()
    assert (waiting.state, waiting.attempts) == ("pending", 0)
    assert waiting.next_attempt_at <= timezone.now()
