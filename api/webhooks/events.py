"""Which timeline events are sent as which webhook, and the thin payload each carries."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from issues.models import EventKind
from notifications.api import site_url

from ..models import WebhookEvent

# The timeline's kinds behind each webhook event; every other kind sends nothing.
TYPE_OF_KIND: dict[str, str] = {
    EventKind.DISPATCHED: WebhookEvent.DISPATCHED,
    EventKind.ACKNOWLEDGED: WebhookEvent.ACKNOWLEDGED,
    EventKind.RESOLVED: WebhookEvent.RESOLVED,
    EventKind.EVALUATED: WebhookEvent.CLOSED,
    EventKind.AUTO_CLOSED: WebhookEvent.CLOSED,
    EventKind.REOPENED: WebhookEvent.REOPENED,
    EventKind.ESCALATED: WebhookEvent.ESCALATED,
    EventKind.EXTENSION_APPROVED: WebhookEvent.EXTENSION_DECIDED,
    EventKind.EXTENSION_DENIED: WebhookEvent.EXTENSION_DECIDED,
    EventKind.MEETING_HELD: WebhookEvent.MEETING_HELD,
}


def problem_api_url(reference: str) -> str:
    """Where the receiver fetches the problem (the REST API's problem resource)."""
    return f"{site_url()}/api/v1/problems/{reference}/"


def body_of(event, event_type: str, problem: dict) -> str:
    """The JSON sent: what happened and the problem's state then; nothing anyone typed.

    The same for every subscriber (an enterprise's client is sent public events only,
    and no text at all is in it), so a receiver fetches what it may see from the API.
    """
    return json.dumps(
        {
            "event": {
                "id": event.pk,
                "type": event_type,
                "kind": event.kind,
                "created_at": event.created_at,
            },
            "problem": {
                "reference": problem["reference"],
                "status": problem["status"],
                "version": problem["version"],
                "lead_department": (
                    {"id": problem["lead_department_id"], "name": problem["lead_department__name"]}
                    if problem["lead_department_id"]
                    else None
                ),
                "due_at": problem["due_at"],
                "url": problem_api_url(problem["reference"]),
            },
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
