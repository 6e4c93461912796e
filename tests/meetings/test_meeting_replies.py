"""An invited enterprise says whether it will attend; the office sees the replies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from liaison.models import Role
from meetings import services
from meetings.models import Invitation
from tests.issues.conftest import make_user, messages_of
from tests.meetings.fixtures_f2f import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_f2f import MEETING_AT, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English; the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def freeze(monkeypatch):
    from django.utils import timezone

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def reply(meeting, actor, attending, now=NOW):
    return services.invitation_reply(
        meeting_id=meeting.pk, actor=actor, attending=attending, now=now
    )


def invitation(meeting, enterprise) -> Invitation:
    return Invitation.objects.get(meeting=meeting, enterprise=enterprise)


# --- the service ---------------------------------------------------------------------


def test_any_user_of_the_enterprise_replies_and_may_change_its_mind(
    meeting, enterprise, enterprise_user
):
    colleague = make_user("colleague", Role.ENTERPRISE, enterprise=enterprise)
    version = meeting.version

    reply(meeting, enterprise_user, attending=True)
    confirmed = invitation(meeting, enterprise)
    reply(meeting, colleague, attending=False, now=NOW + dt.timedelta(hours=1))
    declined = invitation(meeting, enterprise)

    assert (confirmed.reply, confirmed.replied_by, confirmed.replied_at) == (
        Invitation.Reply.CONFIRMED,
        enterprise_user,
        NOW,
    )
    assert (declined.reply, declined.replied_by) == (Invitation.Reply.DECLINED, colleague)
    meeting.refresh_from_db()
    assert meeting.version == version  # the office's open forms stay valid


def test_the_same_reply_twice_changes_nothing(meeting, enterprise, enterprise_user):
    reply(meeting, enterprise_user, attending=True)
    reply(meeting, enterprise_user, attending=True, now=NOW + dt.timedelta(hours=1))

    assert invitation(meeting, enterprise).replied_at == NOW


@pytest.mark.parametrize("persona", ["office", "lead_head", "other_enterprise_user"])
def test_only_an_invited_enterprise_replies(request, meeting, enterprise, persona):
    with pytest.raises(services.MeetingError, match="invited enterprise|not invited"):
        reply(meeting, request.getfixturevalue(persona), attending=True)

    assert invitation(meeting, enterprise).reply == ""


def test_the_reply_is_closed_once_the_meeting_starts(office, meeting, enterprise, enterprise_user):
    reply(meeting, enterprise_user, attending=True)

    with pytest.raises(services.MeetingError, match="already started"):
        reply(meeting, enterprise_user, attending=False, now=MEETING_AT)
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    with pytest.raises(services.MeetingError, match="already started"):
        reply(meeting, enterprise_user, attending=False, now=MEETING_AT)
    assert invitation(meeting, enterprise).reply == Invitation.Reply.CONFIRMED


# --- the pages -----------------------------------------------------------------------


def test_the_enterprise_confirms_on_the_meeting_page_and_the_office_sees_it(
    client_as,
    office,
    meeting,
    enterprise,
    other_enterprise,
    enterprise_user,
    other_enterprise_user,
    freeze,
):
    services.meeting_invite(meeting_id=meeting.pk, actor=office, enterprises=[other_enterprise])
    freeze(NOW)
    client = client_as(enterprise_user)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="meeting-reply"' in page and 'value="yes"' in page

    response = client.post(f"/meetings/{meeting.pk}/reply/", {"attending": "yes"}, follow=True)

    assert response.redirect_chain[-1][0] == f"/meetings/{meeting.pk}/"
    assert messages_of(response) == [
        ("success", f"You confirmed that your enterprise will attend {meeting}.")
    ]
    office_page = client_as(office).get(f"/meetings/{meeting.pk}/")
    html = office_page.content.decode()
    assert "Replies: 1 will attend · 0 cannot attend · 1 no reply" in html
    assert f'data-invitation="{enterprise.pk}"' in html
    # Marking held starts from the replies: who said it cannot come is not ticked.
    reply(meeting, other_enterprise_user, attending=False)
    freeze(MEETING_AT)
    form = client_as(office).get(f"/meetings/{meeting.pk}/").context["actions"]["mark_held"]
    assert form.initial["attended"] == [enterprise.pk]


def test_a_reply_from_the_home_page_goes_back_there(client_as, meeting, enterprise_user, freeze):
    freeze(NOW)

    response = client_as(enterprise_user).post(
        f"/meetings/{meeting.pk}/reply/", {"attending": "no", "from": "home"}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert invitation(meeting, enterprise_user.profile.enterprise).reply == "declined"


def test_a_bad_or_late_reply_is_refused_with_a_message(
    client_as, meeting, enterprise, enterprise_user, freeze
):
    client = client_as(enterprise_user)
    freeze(NOW)
    bad = client.post(f"/meetings/{meeting.pk}/reply/", {"attending": "maybe"}, follow=True)
    freeze(MEETING_AT + dt.timedelta(minutes=1))
    late = client.post(f"/meetings/{meeting.pk}/reply/", {"attending": "yes"}, follow=True)

    assert [level for level, _text in messages_of(bad)] == ["error"]
    assert messages_of(late) == [
        ("error", "The meeting has already started: your reply can no longer change.")
    ]
    assert invitation(meeting, enterprise).reply == ""
    assert 'value="yes"' not in late.content.decode()  # no buttons any more


def test_only_invited_enterprises_reach_the_reply(
    client_as, meeting, enterprise_user, other_enterprise_user, office, freeze
):
    freeze(NOW)
    url = f"/meetings/{meeting.pk}/reply/"

    assert client_as(other_enterprise_user).post(url, {"attending": "yes"}).status_code == 404
    assert client_as(office).post(url, {"attending": "yes"}).status_code == 404
    assert client_as(None).post(url, {"attending": "yes"}).status_code == 302  # to login
    assert client_as(enterprise_user).get(url).status_code == 405  # a reply is a POST


def test_the_reply_needs_the_csrf_token(meeting, enterprise_user, freeze):
    from django.test import Client

    freeze(NOW)
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise_user)

    response = client.post(f"/meetings/{meeting.pk}/reply/", {"attending": "yes"})

    assert response.status_code == 403
    assert invitation(meeting, enterprise_user.profile.enterprise).reply == ""


# --- the enterprise's home page --------------------------------------------------------


def test_the_home_page_shows_the_coming_meetings_to_reply_and_send_problems(
    client_as, office, meeting, other_meeting_held, enterprise_user, freeze
):
    freeze(NOW)

    response = client_as(enterprise_user).get("/")

    [invitation] = response.context["upcoming_invitations"]
    assert invitation.meeting == meeting
    card = response.content.decode()
    assert 'id="home-upcoming-meetings"' in card
    assert "园区企业危废处置专题" in card and "区行政中心 3 楼会议室" in card
    assert "30 Sep 2025 Tuesday 14:30" in card
    assert f'action="/meetings/{meeting.pk}/reply/"' in card
    assert f'href="/problems/new/?meeting={meeting.pk}"' in card
    assert other_meeting_held.theme not in card  # held: no longer coming


@pytest.fixture
def other_meeting_held(office, enterprise):
    held = services.meeting_create(
        actor=office,
        theme="上月走访座谈",
        starts_at=NOW - dt.timedelta(days=3),
        venue="嘉北街道",
        enterprises=[enterprise],
        now=NOW,
    )
    services.meeting_mark_held(meeting_id=held.pk, actor=office, now=NOW)
    return held


def test_a_reply_on_the_home_page_shows_there(client_as, meeting, enterprise_user, freeze):
    freeze(NOW)
    client = client_as(enterprise_user)

    response = client.post(
        f"/meetings/{meeting.pk}/reply/", {"attending": "yes", "from": "home"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    card = response.content.decode()
    assert 'data-reply="confirmed"' in card
    assert 'value="no"' in card and 'value="yes"' not in card  # it can still say no


def test_the_home_page_of_an_enterprise_without_meetings_has_no_card(
    client_as, meeting, other_enterprise_user, freeze
):
    freeze(NOW)

    page = client_as(other_enterprise_user).get("/").content.decode()

    assert 'id="home-upcoming-meetings"' not in page
