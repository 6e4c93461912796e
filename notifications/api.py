"""The notifications app's public API: what issues, meetings and keytasks call.

notifications sits below issues and imports nothing from the apps above it: they
render their messages (or register a renderer for an e-mail's HTML part) and write
them here; the outbox stores, delivers and shows them.
"""

from .delivery import (
    LoggingSmsBackend,
    deliver,
    enqueue,
    lease,
    max_attempts,
    message_id,
    requeue_after,
    requeue_pending,
    retry_delays,
    sms_backend,
)
from .inbox import (
    UNSETTLED,
    inbox,
    mark_read,
    outbox_send_again,
    preferences_set,
    undelivered,
    unread_count,
)
from .models import Notification
from .outbox import EMAIL, IN_APP, SMS, DirectMessage, Row, write, write_direct
from .people import Person, people, pk_of
from .rendering import Message, html_of, register_html_renderer, site_url

__all__ = [
    "EMAIL",
    "IN_APP",
    "SMS",
    "UNSETTLED",
    "DirectMessage",
    "LoggingSmsBackend",
    "Message",
    "Notification",
    "Person",
    "Row",
    "deliver",
    "enqueue",
    "html_of",
    "inbox",
    "lease",
    "mark_read",
    "max_attempts",
    "message_id",
    "outbox_send_again",
    "people",
    "pk_of",
    "preferences_set",
    "register_html_renderer",
    "requeue_after",
    "requeue_pending",
    "retry_delays",
    "site_url",
    "sms_backend",
    "undelivered",
    "unread_count",
    "write",
    "write_direct",
]
