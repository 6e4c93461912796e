"""The bell, the notifications page, the office's outbox page and the notification settings."""

from __future__ import annotations

import pytest
from django.utils import timezone

from liaison.models import Profile
from notifications.models import Notification
from tests.issues.conftest import make_user
from tests.twofactor import TWO_FACTOR_DEVICE

BELL = "/problems/notifications/badge/"
PAGE = "/problems/notifications/"
READ_ALL = "/problems/notifications/read/"
OUTBOX = "/problems/notifications/outbox/"
SETTINGS = "/accounts/notifications/"


def notify(user, n: int = 1, *, channel: str = "in_app", **fields) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            channel=channel,
            kind="dispatched",
            subject=f"[2025-{i:05d}] 交办: 危废处置渠道不畅",
            body="区生态环境分局已受理。",
            url=f"/problems/2025-{i:05d}/",
            state="sent" if channel == "in_app" else "pending",
            next_attempt_at=None if channel == "in_app" else timezone.now(),
            **fields,
        )
        for i in range(1, n + 1)
    )


def read_url(notification) -> str:
    return f"/problems/notifications/{notification.pk}/read/"


# --- the bell ---------------------------------------------------------------------------


def test_it_puts_a_plain_bell_link_on_every_page_and_loads_the_count_with_htmx(
    client_as, lead_head
):
    page = client_as(lead_head).get("/").content.decode()

    assert f'href="{PAGE}"' in page
    assert f'hx-get="{BELL}"' in page
    assert 'hx-trigger="load, every 60s"' in page


def test_the_bell_counts_my_unread_in_app_notifications(client_as, lead_head, lead_staff):
    notify(lead_head, 3)
    notify(lead_head, 1, read_at=timezone.now())
    notify(lead_head, 2, channel="email")
    notify(lead_staff, 5)

    response = client_as(lead_head).get(BELL)

    assert response.status_code == 200
    assert ">3<" in response.content.decode()


def test_the_bell_is_empty_without_unread_notifications(client_as, lead_head):
    assert client_as(lead_head).get(BELL).content.decode().strip() == ""


def test_the_bell_stops_polling_without_a_login(client_as, db):
    # 286 tells htmx to stop polling; a redirect would paste the login page into the bell.
    response = client_as(None).get(BELL)
    assert response.status_code == 286
    assert response.content == b""


@pytest.mark.parametrize("n", [1, 40])
def test_the_bell_runs_a_fixed_number_of_queries(
    client_as, lead_head, django_assert_num_queries, n
):
    notify(lead_head, n)
    client = client_as(lead_head)

    # session, user, profile (role for the context), the count
    with django_assert_num_queries(4 + TWO_FACTOR_DEVICE):
        client.get(BELL)


# --- the notifications page ------------------------------------------------------------


def test_the_page_lists_my_notifications_newest_first(client_as, lead_head, lead_staff):
    mine = notify(lead_head, 2)
    notify(lead_staff, 1)

    response = client_as(lead_head).get(PAGE)

    assert response.status_code == 200
    items = list(response.context["page"].object_list)
    assert [n.pk for n in items] == sorted((n.pk for n in mine), reverse=True)
    assert response.context["unread_count"] == 2
    assert "[2025-00002] 交办" in response.content.decode()


def test_the_page_is_paginated(client_as, lead_head):
    notify(lead_head, 30)

    response = client_as(lead_head).get(PAGE, {"page": 2})

    assert len(response.context["page"].object_list) == 5


@pytest.mark.parametrize("n", [1, 25])
def test_the_page_runs_a_fixed_number_of_queries(
    client_as, lead_head, warm_calendar, django_assert_num_queries, n
):
    notify(lead_head, n)
    client = client_as(lead_head)

    # session, user, profile, unread count, page count, the rows
    with django_assert_num_queries(6 + TWO_FACTOR_DEVICE):
        client.get(PAGE)


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client_as, lead_head):
    [notification] = notify(lead_head)

    response = client_as(lead_head).post(read_url(notification), {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/problems/2025-00001/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_one_read_returns_to_the_page(client_as, lead_head):
    first, second = notify(lead_head, 2)

    response = client_as(lead_head).post(read_url(first), {"next": f"{PAGE}?page=1"})

    assert response["Location"] == f"{PAGE}?page=1"
    assert Notification.objects.filter(read_at__isnull=True).get() == second


def test_marking_read_refuses_another_site_as_next(client_as, lead_head):
    [notification] = notify(lead_head)

    response = client_as(lead_head).post(read_url(notification), {"next": "//evil.example/"})

    assert response["Location"] == PAGE


def test_nobody_marks_another_users_notification(client_as, lead_head, lead_staff):
    [notification] = notify(lead_staff)

    response = client_as(lead_head).post(read_url(notification))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_needs_a_post(client_as, lead_head):
    [notification] = notify(lead_head)

    assert client_as(lead_head).get(read_url(notification)).status_code == 405
    assert client_as(lead_head).get(READ_ALL).status_code == 405


def test_marking_all_read_touches_only_mine(client_as, lead_head, lead_staff):
    notify(lead_head, 3)
    notify(lead_staff, 2)

    response = client_as(lead_head).post(READ_ALL, follow=True)

    assert response.status_code == 200
    assert not Notification.objects.filter(recipient=lead_head, read_at=None).exists()
    assert Notification.objects.filter(recipient=lead_staff, read_at=None).count() == 2


# --- the office's outbox page ----------------------------------------------------------


def test_the_office_sees_failed_and_waiting_messages(client_as, office, lead_head):
    lead_head.email = "lead_head@example.cn"
    lead_head.save(update_fields=["email"])
    [failed] = notify(lead_head, channel="email")
    Notification.objects.filter(pk=failed.pk).update(
        state="failed", attempts=7, last_error="SMTPServerDisconnected: closed"
    )
    notify(lead_head, 2, channel="email")  # pending (2025-00001 again and 2025-00002)

    client = client_as(office)
    failed_page = client.get(OUTBOX)
    pending_page = client.get(OUTBOX, {"show": "pending"})

    assert [n.pk for n in failed_page.context["page"].object_list] == [failed.pk]
    assert "SMTPServerDisconnected" in failed_page.content.decode()
    assert "lead_head@example.cn" in failed_page.content.decode()
    assert len(pending_page.context["page"].object_list) == 2
    assert (failed_page.context["failed_count"], failed_page.context["pending_count"]) == (1, 2)


@pytest.mark.parametrize("persona", ["lead_head", "leader", "enterprise_user"])
def test_only_the_office_sees_the_outbox(client_as, request, persona):
    assert client_as(request.getfixturevalue(persona)).get(OUTBOX).status_code == 404


@pytest.mark.parametrize("n", [1, 20])
def test_the_outbox_runs_a_fixed_number_of_queries(
    client_as, office, lead_head, django_assert_num_queries, n
):
    notify(lead_head, n, channel="email")
    Notification.objects.update(state="failed")
    client = client_as(office)

    # session, user, profile, failed count, pending count, page count, the rows
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        client.get(OUTBOX)


def test_the_office_sends_a_failed_message_again(
    client_as, office, lead_head, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import delivery

    queued = []
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.extend(ids))
    [failed] = notify(lead_head, channel="email")
    Notification.objects.filter(pk=failed.pk).update(state="failed", attempts=7)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(office).post(f"{OUTBOX}{failed.pk}/retry/")

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    assert queued == [failed.pk]


SEND_AGAIN = f"{OUTBOX}send-again/"


@pytest.fixture
def queued(monkeypatch):
    from notifications import delivery

    ids = []
    monkeypatch.setattr(delivery, "enqueue", lambda pks: ids.extend(pks) or len(pks))
    return ids


def test_the_office_sends_the_selected_messages_again(
    client_as, office, lead_head, queued, django_capture_on_commit_callbacks
):
    failed = notify(lead_head, 3, channel="email")
    Notification.objects.update(state="failed", attempts=9, next_attempt_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(office).post(
            SEND_AGAIN, {"ids": [failed[0].pk, failed[2].pk], "next": f"{OUTBOX}?show=failed"}
        )

    assert response.status_code == 302
    assert response["Location"] == f"{OUTBOX}?show=failed"
    states = dict(Notification.objects.values_list("pk", "state"))
    assert [states[n.pk] for n in failed] == ["pending", "failed", "pending"]
    assert sorted(queued) == [failed[0].pk, failed[2].pk]


def test_the_office_sends_every_failed_message_again_at_once(
    client_as, office, lead_head, queued, django_capture_on_commit_callbacks
):
    notify(lead_head, 25, channel="email")  # more than one page
    Notification.objects.update(state="failed", attempts=9, next_attempt_at=None)
    [waiting] = notify(lead_head, 1, channel="email")
    Notification.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timezone.timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(office).post(SEND_AGAIN, {"all_failed": "1"}, follow=True)

    assert "25 messages will be sent again." in response.content.decode()
    assert not Notification.objects.filter(state="failed").exists()
    assert len(queued) == 25
    assert waiting.pk not in queued  # a waiting message keeps its time unless chosen


def test_a_message_waiting_in_its_retry_chain_can_be_sent_again_from_the_page(
    client_as, office, lead_head, queued, django_capture_on_commit_callbacks
):
    [stuck] = notify(lead_head, channel="email")
    later = timezone.now() + timezone.timedelta(hours=2)
    Notification.objects.filter(pk=stuck.pk).update(attempts=3, next_attempt_at=later)
    client = client_as(office)

    page = client.get(OUTBOX, {"show": "pending"}).content.decode()
    assert f'formaction="{OUTBOX}{stuck.pk}/retry/"' in page
    assert "Next attempt" in page and "Waiting since" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{OUTBOX}{stuck.pk}/retry/")

    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == ("pending", 0)
    assert queued == [stuck.pk]


@pytest.mark.parametrize(
    "data, error",
    [
        ({}, "Select the messages to send again."),
        ({"ids": ["abc"]}, "“abc” is not a valid value."),
        ({"ids": ["999999"]}, "Select a valid choice."),
    ],
)
def test_sending_again_refuses_bad_input_and_changes_nothing(
    client_as, office, lead_head, queued, data, error
):
    notify(lead_head, channel="email")
    Notification.objects.update(state="failed", attempts=9, next_attempt_at=None)

    response = client_as(office).post(SEND_AGAIN, data, follow=True)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert Notification.objects.filter(state="failed").count() == 1
    assert queued == []


@pytest.mark.parametrize("persona", ["lead_head", "leader", "enterprise_user"])
def test_only_the_office_sends_messages_again(client_as, request, persona, lead_head, queued):
    [failed] = notify(lead_head, channel="email")
    Notification.objects.update(state="failed", next_attempt_at=None)

    response = client_as(request.getfixturevalue(persona)).post(SEND_AGAIN, {"all_failed": "1"})

    assert response.status_code == 404
    assert Notification.objects.get(pk=failed.pk).state == "failed"


def test_sending_again_needs_a_post_with_the_csrf_token(office, lead_head, queued):
    from django.test import Client

    notify(lead_head, channel="email")
    Notification.objects.update(state="failed", next_attempt_at=None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(office)

    assert client.get(SEND_AGAIN).status_code == 405
    assert client.post(SEND_AGAIN, {"all_failed": "1"}).status_code == 403
    assert Notification.objects.filter(state="failed").count() == 1


# --- notification settings -------------------------------------------------------------


def test_a_user_turns_email_off_and_chooses_english(client_as, lead_head):
    client = client_as(lead_head)
    assert client.get(SETTINGS).status_code == 200

    response = client.post(SETTINGS, {"language": "en"}, follow=True)

    assert response.status_code == 200
    profile = Profile.objects.get(user=lead_head)
    assert (profile.email_notifications, profile.language) == (False, "en")

    client.post(SETTINGS, {"email_notifications": "on", "language": "zh-hans"})
    profile.refresh_from_db()
    assert (profile.email_notifications, profile.language) == (True, "zh-hans")


def test_the_settings_refuse_an_unknown_language(client_as, lead_head):
    response = client_as(lead_head).post(SETTINGS, {"language": "fr"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Profile.objects.get(user=lead_head).language == "zh-hans"


def test_a_user_without_a_role_has_nothing_to_choose(client_as, db):
    user = make_user("norole")

    response = client_as(user).get(SETTINGS)

    assert response.status_code == 200
    assert response.context["form"] is None


def test_the_settings_need_a_login(client_as, db):
    assert client_as(None).get(SETTINGS).status_code == 302


def test_the_settings_page_runs_a_fixed_number_of_queries(
    client_as, lead_head, django_assert_num_queries
):
    client = client_as(lead_head)
    client.get(SETTINGS)  # session and templates warmed
    # 1 session, 2 user, 3 profile (role and current choices)
    with django_assert_num_queries(3 + TWO_FACTOR_DEVICE):
        assert client.get(SETTINGS).status_code == 200
