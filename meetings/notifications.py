"""What invited enterprises are told about a face-to-face meeting: invited, moved, uninvited.

Every active user of each enterprise concerned is told, in the language of their
profile: in the app, by e-mail (to those with an address who want e-mail) and by SMS
(to those with a mobile number). The messages go through the outbox
(notifications.api.write_direct), written in the transaction of the meetings
service that made the change and delivered by the worker after the commit, each once
per recipient and channel (its dedupe key). Nothing is sent about a meeting that has
already started: a meeting entered afterwards invites nobody to the past.

A fixed number of queries whatever the number of enterprises and users: the users,
then write_direct's people and its one INSERT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from issues import notifications
from liaison.models import Role
from notifications import api as outbox

from .models import Invitation, Meeting

INVITED = "meeting_invited"
CHANGED = "meeting_changed"
UNINVITED = "meeting_uninvited"


def meeting_invited(*, meeting: Meeting, invitations: Iterable[Invitation], now: dt.datetime):
    """Tell newly invited enterprises: date, venue, theme, and how to send problems ahead."""
    keys = {i.enterprise_id: f"meeting:{meeting.pk}:invited:{i.pk}" for i in invitations}
    _tell(meeting, INVITED, keys, now)


def meeting_changed(
    *,
    meeting: Meeting,
    old_starts_at: dt.datetime,
    old_venue: str,
    now: dt.datetime,
):
    """Tell every invited enterprise that the meeting moved to another time or place."""
    keys = {
        enterprise_id: f"meeting:{meeting.pk}:changed:{meeting.version}"
        for enterprise_id in meeting.invitations.values_list("enterprise_id", flat=True)
    }
    _tell(meeting, CHANGED, keys, now, old_starts_at=old_starts_at, old_venue=old_venue)


def meeting_uninvited(*, meeting: Meeting, invitation: Invitation, now: dt.datetime):
    """Tell an enterprise that its invitation was withdrawn."""
    keys = {invitation.enterprise_id: f"meeting:{meeting.pk}:uninvited:{invitation.pk}"}
    _tell(meeting, UNINVITED, keys, now)


def _tell(meeting: Meeting, kind: str, keys: dict[int, str], now: dt.datetime, **change) -> int:
    """Write `kind` for every active user of the enterprises in `keys` (enterprise -> key)."""
    if not keys or meeting.starts_at <= now or notifications.is_suppressed():
        return 0  # nothing to tell, a meeting already begun, or demo data being written
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__role=Role.ENTERPRISE,
            profile__enterprise_id__in=list(keys),
        )
        .values_list("pk", "profile__enterprise_id", "profile__language")
        .order_by("pk")
    )
    # Where the message leads: the meeting, or home once the enterprise no longer sees it.
    path = reverse("home") if kind == UNINVITED else _meeting_path(meeting)
    rendered: dict[str, dict[str, str]] = {}
    messages = []
    for user_id, enterprise_id, language in users:
        language = language or settings.LANGUAGE_CODE
        message = rendered.get(language)
        if message is None:
            message = rendered[language] = _render(meeting, kind, language, path, **change)
        messages.append(
            outbox.DirectMessage(
                recipient_id=user_id,
                kind=kind,
                dedupe_key=keys[enterprise_id],
                url=path,
                **message,
            )
        )
    return outbox.write_direct(messages)


def _meeting_path(meeting: Meeting) -> str:
    return reverse("meetings:meeting_detail", args=[meeting.pk])


def _when(moment: dt.datetime) -> str:
    """2025年9月30日（星期二）14:30 / Sept. 30, 2025 (Tuesday) 14:30, in the active language."""
    local = timezone.localtime(moment)
    return _("%(date)s (%(weekday)s) %(time)s") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "weekday": formats.date_format(local, "l"),
        "time": formats.time_format(local, "H:i"),
    }


def _render(
    meeting: Meeting,
    kind: str,
    language: str,
    path: str,
    *,
    old_starts_at: dt.datetime | None = None,
    old_venue: str = "",
) -> dict[str, str]:
    """The subject, e-mail (text and HTML), in-app and SMS texts of `kind`, in `language`."""
    base = outbox.site_url()
    with translation.override(language):
        context = {
            "LANGUAGE_CODE": language,
            # 2025年第6期: the way the programme names its meetings.
            "number": _("%(year)s No. %(number)s")
            % {"year": meeting.year, "number": meeting.number},
            "theme": meeting.theme,
            "when": _when(meeting.starts_at),
            "venue": meeting.venue,
            "url": base + path,
            "submit_url": f"{base}{reverse('issues:submit')}?meeting={meeting.pk}",
            "old_when": _when(old_starts_at) if old_starts_at else "",
            "old_venue": old_venue,
        }
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context)
        # The app and a text message carry the first paragraph: what happened, when, where.
        headline = text.split("\n\n", 1)[0].strip()
        return {
            "subject": subject,
            "text": text,
            "html": render_to_string(f"emails/{kind}.html", context),
            "in_app": headline,
            "sms": f"{headline[:240]} {context['url']}",
        }
