"""Who is told about a consultation request (会商): the leader asked, when a department
asks, and when it withdraws the request; the department that asked (the requester and its
heads), when the leader declines.
An accepted request convenes a coordination meeting, whose convening event tells the
departments and the enterprise (issues.notifications). Through the outbox
(notifications.api.write_direct), in each recipient's language, once per key.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from issues import notifications
from liaison.models import Role
from notifications import api as outbox

from .models import ConsultationRequest

REQUESTED = "consultation_requested"
DECLINED = "consultation_declined"
WITHDRAWN = "consultation_withdrawn"


def requested(consultation: ConsultationRequest) -> int:
    """Tell the leader asked that a department asks for a coordination meeting."""
    users = get_user_model().objects.filter(pk=consultation.leader_id, is_active=True)

    def text():
        return _(
            "%(department)s asks you to convene a coordination meeting on problem "
            "%(reference)s: %(reason)s"
        ) % {
            "department": consultation.department.name,
            "reference": consultation.problem.reference,
            "reason": consultation.reason,
        }

    def subject():
        return _("Consultation requested on %(reference)s") % {
            "reference": consultation.problem.reference
        }

    return _tell(consultation, REQUESTED, users, subject, text)


def declined(consultation: ConsultationRequest) -> int:
    """Tell the department that asked that the leader declined, and why."""
    users = get_user_model().objects.filter(
        Q(pk=consultation.requested_by_id)
        | Q(profile__role=Role.DEPARTMENT_HEAD, profile__department_id=consultation.department_id),
        is_active=True,
    )

    def text():
        return _("The leader declined the consultation on problem %(reference)s: %(reason)s") % {
            "reference": consultation.problem.reference,
            "reason": consultation.decline_reason,
        }

    def subject():
        return _("Consultation declined on %(reference)s") % {
            "reference": consultation.problem.reference
        }

    return _tell(consultation, DECLINED, users, subject, text)


def withdrawn(consultation: ConsultationRequest) -> int:
    """Tell the leader asked that the department withdrew its request: nothing to answer."""
    users = get_user_model().objects.filter(pk=consultation.leader_id, is_active=True)

    def text():
        return _(
            "%(department)s withdrew its request for a coordination meeting on problem "
            "%(reference)s; there is nothing to answer."
        ) % {
            "department": consultation.department.name,
            "reference": consultation.problem.reference,
        }

    def subject():
        return _("Consultation withdrawn on %(reference)s") % {
            "reference": consultation.problem.reference
        }

    return _tell(consultation, WITHDRAWN, users, subject, text)


def _tell(consultation, kind, users, subject, text) -> int:
    if notifications.is_suppressed():
        return 0
    path = reverse("issues:detail", args=[consultation.problem.reference])
    url = outbox.site_url() + path
    messages = []
    for user_id, language in users.values_list("pk", "profile__language").order_by("pk"):
        with translation.override(language or settings.LANGUAGE_CODE):
            body = text()
            messages.append(
                outbox.DirectMessage(
                    recipient_id=user_id,
                    kind=kind,
                    dedupe_key=f"consultation:{consultation.pk}:{kind}",
                    subject=subject(),
                    text=f"{body}\n\n{url}\n",
                    url=path,
                    in_app=body[:300],
                )
            )
    return outbox.write_direct(messages)
