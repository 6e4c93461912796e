"""Delivery from the outbox under faults: real workers, a real (misbehaving) SMTP server.

Counted in each test: e-mails the server accepted, distinct Message-IDs among them,
rows left unsent. Before the fixes: a slow server or a second delivery sent a message
twice (10 e-mails for 5 rows), a worker killed while sending left no bound and no
common Message-ID for the repeats, a server that never answered held the one queue
(and the deadline sweep behind it) for 120 s per e-mail, and an outage longer than
the retry chain (15–31 minutes) left every message failed, to be re-sent one by one.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.utils import timezone

from issues.tasks import enforce_deadlines
from liaison.celery import app
from notifications import api as outbox
from notifications.models import Notification

from .conftest import kill_group, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def addressee(lead_head):
    lead_head.email = "lead_head@example.cn"
    lead_head.save(update_fields=["email"])
    return lead_head


def write(person, n: int) -> list[int]:
    """n e-mails (and their in-app twins) to `person`; queued after the commit."""
    key = uuid.uuid4().hex[:8]
    outbox.write_direct(
        [
            outbox.DirectMessage(
                recipient_id=person.pk,
                kind="test",
                dedupe_key=f"{key}:{i}",
                subject=f"Test message {key} {i}",
                text="A message from the outbox.",
                url="/",
            )
            for i in range(n)
        ]
    )
    return list(emails(dedupe_key__startswith=key).values_list("pk", flat=True))


def emails(**filters):
    return Notification.objects.filter(channel="email", **filters)


def all_sent(ids) -> bool:
    return emails(pk__in=ids, state="sent").count() == len(ids)


# --- claims: two deliveries of one message ----------------------------------------------


def test_two_deliveries_of_each_message_and_a_slow_server_send_each_once(
    stack, smtp_server, this_process_uses, addressee
):
    # The server answers after 3 s; the requeue would hand a waiting row over after 1 s.
    smtp_server.data_delay = 3
    stack.environment.update(
        EMAIL_TIMEOUT="10",
        LIAISON_OUTBOX_LEASE_SECONDS="20",
        LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS="1",
    )
    for _ in range(2):
        stack.worker("notifications", concurrency=2)
    stack.beat()

    ids = write(addressee, 5)
    outbox.enqueue(ids)  # a second delivery of each, as a second beat would queue

    wait_for(lambda: all_sent(ids), 60, f"5 sent\n{stack.logs()}")
    time.sleep(4)  # a second copy of any of them would arrive by now

    assert len(smtp_server.messages) == 5
    assert len(set(smtp_server.message_ids())) == 5


def test_of_two_beats_one_schedules_and_the_other_takes_over_when_it_dies(stack):
    first, first_log = stack.beat("beat-1")
    wait_for(lambda: "holds the beat lock" in first_log.read_text(), 30, "the first beat")
    second, second_log = stack.beat("beat-2")
    wait_for(lambda: "standing by" in second_log.read_text(), 30, "the second beat waits")
    time.sleep(3)

    assert "Sending due task" in first_log.read_text()
    assert "Sending due task" not in second_log.read_text()

    kill_group(first)
    wait_for(
        lambda: "Sending due task" in second_log.read_text(),
        30,
        f"the second beat took over\n{stack.logs()}",
    )


# --- killed while sending ---------------------------------------------------------------

MESSAGES = 200
KILLS = 3
CONCURRENCY = 2


def test_a_worker_killed_three_times_while_sending_repeats_only_what_was_in_flight(
    stack, smtp_server, this_process_uses, addressee
):
    smtp_server.data_delay = 0.05
    stack.beat()  # the requeue: hands over what a dead worker leaves behind
    worker, _ = stack.worker("notifications", concurrency=CONCURRENCY)
    ids = write(addressee, MESSAGES)

    for kill in range(1, KILLS + 1):
        wait_for(
            lambda kill=kill: len(smtp_server.messages) >= kill * MESSAGES // (KILLS + 1),
            60,
            f"sending before kill {kill}\n{stack.logs()}",
        )
        kill_group(worker)
        worker, _ = stack.worker("notifications", concurrency=CONCURRENCY)
    wait_for(lambda: all_sent(ids), 90, f"all sent\n{stack.logs()}")
    time.sleep(2)

    received = smtp_server.message_ids()
    repeats = len(received) - len(set(received))
    print(f"{len(received)} e-mails received for {MESSAGES} messages: {repeats} repeated")
    assert len(set(received)) == MESSAGES  # none lost
    # At most the messages being sent at each kill, and with the same Message-ID.
    assert repeats <= KILLS * CONCURRENCY
    assert all(mid.startswith("<outbox-") for mid in received)
    assert emails(pk__in=ids).exclude(state="sent").count() == 0


# --- a mail server that never answers ---------------------------------------------------


def test_a_hanging_mail_server_does_not_delay_the_deadline_sweep(
    stack, smtp_server, this_process_uses, addressee
):
    smtp_server.mode = "hang"
    sweeper, sweeper_log = stack.worker("deadlines,celery", concurrency=1)
    stack.worker("notifications", concurrency=2)
    ids = write(addressee, 6)  # each waits EMAIL_TIMEOUT (2 s here) for a greeting
    wait_for(lambda: emails(pk__in=ids, state="sending").exists(), 10, "sending started")

    started = time.monotonic()
    with app.connection_for_write(this_process_uses.url) as connection:
        result = enforce_deadlines.apply_async(connection=connection)
    wait_for(
        lambda: f"[{result.id}] succeeded" in sweeper_log.read_text(),
        30,
        f"the sweep ran\n{stack.logs()}",
    )

    assert time.monotonic() - started < 5
    wait_for(lambda: not emails(pk__in=ids, attempts=0).exists(), 30, "every e-mail tried")
    row = emails(pk=ids[0]).get()
    assert row.state in ("pending", "sending")  # tried again later, not lost
    wait_for(
        lambda: "timed out" in emails(pk=ids[0]).get().last_error,
        30,
        "the timeout recorded",
    )


# --- a mail server down for longer than the retry chain ---------------------------------


def test_after_an_outage_longer_than_the_retry_chain_nothing_is_lost(
    transactional_db, smtp_server, celery_eager, settings, addressee
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_TIMEOUT = 2
    settings.LIAISON_OUTBOX_RETRY_DELAYS = [1, 1]
    smtp_server.stop()  # the outage

    stranded = write(addressee, 5)
    for _ in range(2):
        outbox.requeue_pending(now=timezone.now() + dt.timedelta(hours=1))
    assert set(emails(pk__in=stranded).values_list("state", "attempts")) == {("failed", 3)}

    smtp_server.start()  # back: the next message that goes out says so
    [new] = write(addressee, 1)
    assert emails(pk=new).get().state == "sent"
    assert set(emails(pk__in=stranded).values_list("state", flat=True)) == {"pending"}
    outbox.requeue_pending()

    assert set(emails(pk__in=stranded).values_list("state", flat=True)) == {"sent"}
    assert len(smtp_server.messages) == 6


def test_a_message_the_server_refuses_fails_at_once_and_stays_failed(
    transactional_db, smtp_server, celery_eager, settings, addressee
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    smtp_server.mode = "refuse"
    [refused] = write(addressee, 1)

    row = emails(pk=refused).get()
    assert (row.state, row.attempts) == ("failed", 1)
    assert "550" in row.last_error
    smtp_server.mode = "ok"
    write(addressee, 1)  # sending works: the refused one is not tried again by itself
    assert emails(pk=refused).get().state == "failed"
