"""Who is told when a bulletin is published: every district leader (principal leaders too)
and every department head, in their own language, once (notifications.api.write_direct)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from liaison.models import LEADER_ROLES, Role
from notifications import api as outbox

from .models import Bulletin

KIND = "bulletin_published"


def _month_text(bulletin: Bulletin) -> str:
    return formats.date_format(bulletin.month, "YEAR_MONTH_FORMAT")


def published(bulletin: Bulletin) -> int:
    """Tell the leaders and the department heads; returns the outbox rows written."""
    users = get_user_model().objects.filter(
        is_active=True, profile__role__in=(*LEADER_ROLES, Role.DEPARTMENT_HEAD)
    )
    path = reverse("bulletin_detail", args=[bulletin.slug])
    url = outbox.site_url() + path
    messages = []
    for user_id, language in users.values_list("pk", "profile__language").order_by("pk"):
        with translation.override(language or settings.LANGUAGE_CODE):
            values = {"month": _month_text(bulletin)}
            subject = _("The monthly bulletin for %(month)s is published") % values
            body = (
                _(
                    "The liaison office published the monthly bulletin for %(month)s: the "
                    "month's figures, hotspots, departments below the thresholds and problems "
                    "overdue."
                )
                % values
            )
            messages.append(
                outbox.DirectMessage(
                    recipient_id=user_id,
                    kind=KIND,
                    dedupe_key=f"bulletin:{bulletin.pk}:published",
                    subject=subject,
                    text=f"{body}\n\n{url}\n",
                    url=path,
                    in_app=body[:300],
                )
            )
    return outbox.write_direct(messages)
