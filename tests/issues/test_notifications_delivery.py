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

from issues import notifications, tasks, workflow
from issues.models import EventKind, Notification, Status
from liaison.celery import app
from liaison.models import Profile
from tests.issues.conftest import NOW

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class BrokenSMTPBackend(BaseEmailBackend):
    """An e-mail backend whose server is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RecordingSmsBackend:
    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


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

    assert notifications.deliver(row.pk) == "sent"

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

    notifications.deliver(emails(recipient=enterprise_user).get().pk)

    [message] = mail.outbox
    assert message.subject == f"[{problem.reference}] 交办: {problem.title}"
    assert problem.lead_department.name in message.body


def test_it_never_sends_a_message_twice(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()

    assert notifications.deliver(row.pk) == "sent"
    assert notifications.deliver(row.pk) == "sent"  # a redelivered task (acks_late)
    tasks.deliver_notification.apply(args=[row.pk])

    assert len(mail.outbox) == 1


def test_it_ignores_a_missing_or_in_app_row(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    in_app = Notification.objects.get(recipient=lead_head, channel="in_app")

    assert notifications.deliver(in_app.pk) == "sent"
    assert notifications.deliver(10**9) == "missing"
    assert mail.outbox == []


def test_it_skips_a_message_whose_address_was_removed(addressed, make_problem, lead_head):
    make_problem(Status.DISPATCHED)
    lead_head.email = ""
    lead_head.save(update_fields=["email"])

    assert notifications.deliver(emails(recipient=lead_head).get().pk) == "skipped"
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
    with caplog.at_level("INFO", logger="issues.notifications"):
        assert notifications.deliver(sms.pk) == "sent"
    assert "SMS to 13800138000" in caplog.text

    settings.LIAISON_SMS_BACKEND = f"{__name__}.RecordingSmsBackend"
    Notification.objects.filter(pk=sms.pk).update(state="pending")
    assert notifications.deliver(sms.pk) == "sent"
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

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", broker_refuses)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            dispatch(office, make_problem(Status.SUBMITTED), lead_head)
    assert len(calls) == 3  # one try per transition: the first refusal stops the loop
    assert emails(state="pending").count() == 6

    monkeypatch.undo()
    app.conf.task_always_eager = True
    try:
        # Too recent: a task may still be on its way.
        assert notifications.requeue_pending() == 0
        later = timezone.now() + dt.timedelta(minutes=2)
        assert notifications.requeue_pending(now=later) == 6
        assert notifications.requeue_pending(now=later) == 0
        tasks.requeue_pending_notifications.apply()
    finally:
        app.conf.task_always_eager = False

    assert len(mail.outbox) == 6
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 6  # none doubled
    assert set(emails().values_list("state", flat=True)) == {"sent"}


def test_the_requeue_takes_a_bounded_batch_of_never_tried_messages(
    addressed, make_problem, monkeypatch
):
    queued = []
    monkeypatch.setattr(notifications, "enqueue", lambda ids: queued.extend(ids) or len(ids))
    for _ in range(3):
        make_problem(Status.DISPATCHED)
    rows = list(emails().order_by("created_at", "id"))
    Notification.objects.filter(pk=rows[0].pk).update(attempts=1)  # in Celery's retry chain
    later = timezone.now() + dt.timedelta(minutes=2)

    assert notifications.requeue_pending(now=later, batch=2) == 2
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
    failed = emails(recipient=lead_head).get()
    assert failed.state == "failed"
    assert failed.attempts == notifications.MAX_ATTEMPTS
    assert "SMTPServerDisconnected" in failed.last_error
    in_app = Notification.objects.get(recipient=lead_head, channel="in_app")
    assert in_app.state == "sent"  # the bell still works

    page = client_as(office).get("/problems/notifications/outbox/")
    assert page.status_code == 200
    assert failed.subject in page.content.decode()


def test_a_sending_error_is_recorded_and_raised_for_celery_to_retry(
    addressed, make_problem, lead_head, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSMTPBackend"
    make_problem(Status.DISPATCHED)
    row = emails(recipient=lead_head).get()

    with pytest.raises(smtplib.SMTPServerDisconnected):
        notifications.deliver(row.pk)
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)

    assert notifications.deliver(row.pk, final_attempt=True) == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 2)


def test_the_office_can_send_a_failed_message_again(
    eager, addressed, make_problem, lead_head, django_capture_on_commit_callbacks
):
    make_problem(Status.DISPATCHED, now=NOW)
    row = emails(recipient=lead_head).get()
    Notification.objects.filter(pk=row.pk).update(state="failed", attempts=7, last_error="x")

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.retry_failed(notification_id=row.pk) is True
        assert notifications.retry_failed(notification_id=row.pk) is False

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
