"""Error reports to Sentry, when SENTRY_DSN is set, without personal data.

The SDK is told to send none (send_default_pii=False: no user names, e-mail addresses,
IP addresses or cookies; no local variables of the stack's frames), and before_send
masks every phone number, credit code and e-mail address left in what is sent: the
message, exception values, breadcrumbs (log lines, SQL), the request's query and body.
"""

from __future__ import annotations

from typing import Any

from .privacy import mask_personal_data

# Identifiers of the event itself: left as they are.
_KEEP = frozenset({"event_id", "trace_id", "span_id", "parent_span_id", "release", "timestamp"})
# What is never sent, even masked: a session cookie or an API key is a password.
_DROP_REQUEST_KEYS = ("cookies", "env")
_DROP_HEADERS = frozenset({"authorization", "cookie", "x-csrftoken", "proxy-authorization"})


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {key: item if key in _KEEP else _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def before_send(event: dict, hint: dict | None = None) -> dict:
    """The event with personal data masked and credentials dropped (Sentry's before_send)."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in _DROP_REQUEST_KEYS:
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() not in _DROP_HEADERS
            }
    user = event.get("user")
    if isinstance(user, dict):
        # The id is enough to find the account; its name, e-mail and address are not sent.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return _scrub(event)


def init_sentry(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float = 0.0
) -> None:
    """Start the SDK with the Django and Celery integrations (settings, when SENTRY_DSN is set)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="small",
        before_send=before_send,
        traces_sample_rate=traces_sample_rate,
    )
