"""What people are told about a face-to-face meeting and the problems raised for it."""

from __future__ import annotations

import pytest

from issues.models import EventKind
from liaison.models import Enterprise, Profile, Role
from meetings import services
from notifications import tasks as notification_tasks
from notifications.models import Notification
from tests.issues.conftest import at, credit_code, make_user
from tests.meetings.fixtures_f2f import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_f2f import MEETING_AT, NOW

pytestmark = pytest.mark.django_db


def test_an_early_dispatch_says_the_clock_starts_at_the_meeting(
    meeting, raise_problem, dispatch, lead_head, enterprise_user
):
    for user in (lead_head, enterprise_user):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
        user.profile.language = "en"
        user.profile.save(update_fields=["language"])

    dispatch(raise_problem(meeting))

    told = Notification.objects.filter(kind=EventKind.DISPATCHED, channel="email")
    head = told.get(recipient=lead_head)
    assert "ahead of the face-to-face meeting" in head.body
    assert "starts on the meeting's date" in head.body
    assert "Deadline:" not in head.body
    enterprise = told.get(recipient=enterprise_user)
    assert "prepares its answer for the face-to-face meeting" in enterprise.body
    assert "answer it by" not in enterprise.body


def test_marking_held_tells_the_lead_head_the_deadline(
    office, meeting, raise_problem, dispatch, lead_head
):
    lead_head.profile.language = "en"
    lead_head.profile.save(update_fields=["language"])
    problem = dispatch(raise_problem(meeting))

    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    told = Notification.objects.get(
        kind=EventKind.MEETING_HELD, recipient=lead_head, channel="in_app"
    )
    assert told.problem_id == problem.pk
    assert "its 10 working days started on the meeting's date" in told.body


# --- what invited enterprises are told ------------------------------------------------


@pytest.fixture
def staff_of_enterprise(enterprise, enterprise_user):
    """The enterprise's users: one reading English with an address and a mobile, one
    reading Chinese with neither, one no longer active."""
    enterprise_user.email = "boss@example.cn"
    enterprise_user.save(update_fields=["email"])
    Profile.objects.filter(user=enterprise_user).update(language="en", phone="13800138000")
    clerk = make_user("clerk", Role.ENTERPRISE, enterprise=enterprise)
    Profile.objects.filter(user=clerk).update(language="zh-hans")
    gone = make_user("gone", Role.ENTERPRISE, enterprise=enterprise)
    gone.email = "gone@example.cn"
    gone.is_active = False
    gone.save(update_fields=["email", "is_active"])
    return enterprise_user, clerk, gone


def told(kind: str):
    return Notification.objects.filter(kind=kind).order_by("recipient_id", "channel")


def plan(office, enterprises, *, starts_at=None, now=None):

    return services.meeting_create(
        actor=office,
        theme="园区企业危废处置专题",
        starts_at=starts_at or MEETING_AT,
        venue="区行政中心 3 楼会议室",
        enterprises=enterprises,
        now=now or NOW,
    )


def test_every_active_user_of_an_invited_enterprise_is_told(
    office, enterprise, staff_of_enterprise
):
    boss, clerk, gone = staff_of_enterprise

    meeting = plan(office, [enterprise])

    rows = told("meeting_invited")
    assert [(r.recipient.username, r.channel) for r in rows] == [
        ("enterprise_user", "email"),
        ("enterprise_user", "in_app"),
        ("enterprise_user", "sms"),
        ("clerk", "in_app"),
    ]
    in_app = {r.recipient_id: r for r in rows if r.channel == "in_app"}
    # Date, time, venue and theme, in each reader's language.
    english = in_app[boss.pk].body
    assert "30 Sep 2025 (Tuesday) 14:30" in english
    assert "区行政中心 3 楼会议室" in english and "园区企业危废处置专题" in english
    assert "2025年9月30日" in in_app[clerk.pk].body
    assert in_app[boss.pk].url == f"/meetings/{meeting.pk}/"
    email = rows.get(channel="email")
    assert f"http://127.0.0.1:8000/problems/new/?meeting={meeting.pk}" in email.body
    assert f"http://127.0.0.1:8000/meetings/{meeting.pk}/" in email.body
    assert (
        email.subject == "Invitation: face-to-face meeting 2025 No. 1, 30 Sep 2025 (Tuesday) 14:30"
    )
    sms = rows.get(channel="sms")
    assert sms.body.endswith(f" http://127.0.0.1:8000/meetings/{meeting.pk}/")
    assert "14:30" in sms.body


def test_the_worker_delivers_the_invitation_by_email_with_text_and_html(
    office, enterprise, staff_of_enterprise, mailoutbox
):

    meeting = plan(office, [enterprise])
    row = told("meeting_invited").get(channel="email")

    notification_tasks.deliver_notification.apply(args=[row.pk])

    [message] = mailoutbox
    assert message.to == ["boss@example.cn"]
    assert message.subject == row.subject
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="http://127.0.0.1:8000/problems/new/?meeting={meeting.pk}"' in html
    assert "Send your problems before the meeting" in html


def test_inviting_more_tells_only_the_new_ones_once(
    office, enterprise, other_enterprise, enterprise_user, other_enterprise_user
):

    meeting = plan(office, [enterprise])
    services.meeting_invite(
        meeting_id=meeting.pk, actor=office, enterprises=[enterprise, other_enterprise], now=NOW
    )
    services.meeting_invite(
        meeting_id=meeting.pk, actor=office, enterprises=[other_enterprise], now=NOW
    )

    assert sorted(told("meeting_invited").values_list("recipient__username", flat=True)) == [
        "enterprise_user",
        "other_enterprise_user",
    ]


def test_a_new_date_or_venue_is_told_again_a_new_theme_is_not(office, enterprise, enterprise_user):

    meeting = plan(office, [enterprise])
    enterprise_user.profile.language = "en"
    enterprise_user.profile.save(update_fields=["language"])

    def edit(**changes):
        meeting.refresh_from_db()
        values = {"theme": meeting.theme, "starts_at": meeting.starts_at, "venue": meeting.venue}
        services.meeting_update(
            meeting_id=meeting.pk, actor=office, now=NOW, **{**values, **changes}
        )

    edit(theme="危废处置与环评专题")
    assert not told("meeting_changed").exists()
    edit(starts_at=at("2025-10-10 09:00"))
    edit(venue="梅湾街道会议室")

    first, second = told("meeting_changed").filter(channel="in_app").order_by("pk")
    assert "now takes place on 10 Oct 2025 (Friday) 09:00" in first.body
    assert "before: 30 Sep 2025 (Tuesday) 14:30" in first.body
    assert "梅湾街道会议室" in second.body and "before: 10 Oct 2025" in second.body


def test_a_withdrawn_invitation_is_told(office, enterprise, enterprise_user):

    meeting = plan(office, [enterprise])
    services.meeting_uninvite(meeting_id=meeting.pk, actor=office, enterprise=enterprise, now=NOW)

    row = told("meeting_uninvited").get(channel="in_app")
    assert row.recipient == enterprise_user
    assert row.url == "/"  # the meeting is no longer the enterprise's to open
    assert "园区企业危废处置专题" in row.body


def test_a_meeting_entered_afterwards_tells_nobody(office, enterprise, enterprise_user):

    plan(office, [enterprise], starts_at=at("2025-09-01 09:30"))

    assert not Notification.objects.filter(recipient=enterprise_user).exists()


@pytest.mark.parametrize("n", [1, 6])
def test_inviting_makes_a_fixed_number_of_queries(office, n, django_assert_num_queries, enterprise):

    meeting = plan(office, [])
    invited = []
    for i in range(n):
        company = Enterprise.objects.create(name=f"企业{i}", credit_code=credit_code(100 + i))
        make_user(f"user{i}", Role.ENTERPRISE, enterprise=company)
        invited.append(company)

    # 1 savepoint, 2 lock the meeting, 3 those already invited, 4 the INSERT, 5 the new
    # invitations read back, 6 their enterprises' users, 7 the people (write_direct),
    # 8 the outbox INSERT, 9 the meeting's new version; 10 release the savepoint
    with django_assert_num_queries(10):
        services.meeting_invite(meeting_id=meeting.pk, actor=office, enterprises=invited, now=NOW)

    assert told("meeting_invited").filter(channel="in_app").count() == n


def test_a_meeting_entered_afterwards_by_mistake_invites_when_moved_ahead(
    office, enterprise, enterprise_user
):
    meeting = plan(office, [enterprise], starts_at=at("2025-09-01 09:30"))

    moved = services.meeting_update(
        meeting_id=meeting.pk,
        actor=office,
        theme=meeting.theme,
        starts_at=at("2025-10-01 09:30"),  # the month was wrong
        venue=meeting.venue,
        now=NOW,
    )

    assert not moved.entered_afterwards
    assert told("meeting_invited").filter(recipient=enterprise_user).exists()
    assert not told("meeting_changed").exists()
