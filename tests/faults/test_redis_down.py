"""Redis (cache, broker) is down: no page fails, no e-mail is lost, logins are still protected.

Before the fix every new login answered 500 while Redis was down, mail written
meanwhile went out only at the next five-minute requeue (231–237 s after Redis was
back), and e-mails in the middle of their retry chain when Redis restarted empty
stayed pending for ever (their retry lived in Redis).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from issues.models import Status
from notifications.models import Notification
from tests.twofactor import is_official, next_code, totp_device_for

from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "liaison-test-password-7"
PAGES = (
    "/",
    "/problems/",
    "/problems/triage/",
    "/dashboard/",
    "/problems/notifications/",
    "/problems/notifications/badge/",
    "/problems/notifications/outbox/",
)
# With the test's short settings (requeue every second); in production the requeue runs
# every 15 s and the worker retries its connection at most 30 s apart: under a minute.
BACK_WITHIN_SECONDS = 30


def log_in(client, username: str, password: str = PASSWORD):
    """The login page, then for an official the code of their authenticator app (made
    for them first): two-factor sign-in needs no Redis either."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    app = totp_device_for(user) if is_official(user) else None
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if app is not None and "/accounts/two-factor/verify/" in response.get("Location", ""):
        response = client.post("/accounts/two-factor/verify/", {"code": next_code(app)})
    return response


@pytest.fixture
def with_addresses(office, lead_head, enterprise_user):
    for user in (office, lead_head, enterprise_user):
        user.email = f"{user.username}@example.cn"
        user.set_password(PASSWORD)
        user.save(update_fields=["email", "password"])


def test_with_redis_down_every_page_answers_and_logins_are_still_protected(
    this_process_uses, with_addresses, client, office, lead_head, make_problem, caplog
):
    problems = [make_problem(Status.SUBMITTED) for _ in range(2)]
    this_process_uses.kill()

    statuses = []
    with caplog.at_level("WARNING"):
        response = log_in(client, "office")
        statuses.append(response.status_code)
        assert response.status_code == 302  # logged in
        for path in PAGES:
            statuses.append(client.get(path).status_code)
        response = client.post(
            f"/problems/{problems[0].reference}/dispatch/",
            {"lead_department": lead_head.profile.department_id, "version": problems[0].version},
        )
        statuses.append(response.status_code)
        client.logout()
        # Failed logins are still recorded (in the database, by django-axes) and lock out.
        for _ in range(5):  # the limit: 5 failed attempts for one user name and address
            statuses.append(log_in(client, "lead_head", "wrong").status_code)
        locked_out = log_in(client, "lead_head")

    assert [s for s in statuses if s >= 500] == []
    assert locked_out.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "could not queue" in caplog.text
    problems[0].refresh_from_db()
    assert problems[0].status == Status.DISPATCHED
    assert Notification.objects.filter(
        problem=problems[0], channel="email", state="pending"
    ).exists()


def test_mail_written_while_redis_was_down_goes_out_soon_after_it_returns(
    stack, smtp_server, this_process_uses, with_addresses, client, lead_head, make_problem
):
    stack.worker("notifications", concurrency=2)
    stack.beat()
    # E-mails in the middle of their retry chain: tried once, the next attempt due soon.
    waiting = [make_problem(Status.DISPATCHED) for _ in range(5)]
    wait_for(lambda: len(smtp_server.messages) >= 10, 30, "the first e-mails sent")
    retrying = Notification.objects.filter(problem__in=waiting, channel="email")
    retrying.update(
        state="pending",
        attempts=1,
        last_error="SMTPServerDisconnected",
        next_attempt_at=timezone.now() + dt.timedelta(seconds=5),
    )
    smtp_server.messages.clear()

    this_process_uses.kill()
    # Written while Redis is down: a transition through the page.
    log_in(client, "office")
    written = []
    for _ in range(5):
        problem = make_problem(Status.SUBMITTED)
        response = client.post(
            f"/problems/{problem.reference}/dispatch/",
            {"lead_department": lead_head.profile.department_id, "version": problem.version},
        )
        assert response.status_code == 302
        written.append(problem)
    time.sleep(5)
    this_process_uses.start()  # empty: whatever the broker held is gone
    back = time.monotonic()

    expected = Notification.objects.filter(
        problem__in=[*waiting, *written], channel="email"
    ).count()
    assert expected == 20  # the lead department's head and the enterprise, for each
    wait_for(
        lambda: len(smtp_server.messages) >= expected,
        BACK_WITHIN_SECONDS + 10,
        f"{expected} e-mails sent after Redis came back\n{stack.logs()}",
    )
    elapsed = time.monotonic() - back
    time.sleep(3)  # anything sent twice would arrive now

    assert elapsed < BACK_WITHIN_SECONDS
    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == expected  # none lost, none sent twice
    assert set(Notification.objects.filter(channel="email").values_list("state", flat=True)) == {
        "sent"
    }
