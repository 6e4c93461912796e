"""Who is told about a problem's events, and what they read: written to the outbox
(the notifications app) with each event.

`workflow.record_event` calls `event_recorded(event)` inside its transaction: the
outbox rows (in-app, e-mail, SMS) are written in that same transaction, so a
committed event always has its messages and a rolled-back one has none. Delivery
(notifications.delivery) is queued after the commit.

The deadline sweep passes its own recipients to `write_for_events`, which writes
any number of (event, recipients) pairs in a fixed number of queries.

Handlers registered with `register` are still called with each committed event id
(after commit); they must never raise into the caller.

The modules by job: rules (who is told of what, through which channels), messages
(building and rendering the messages, grouped ones for the sweep) and hook (what the
workflow calls). Import them from here: `from issues import notifications`.
"""

from .hook import (
    Handler,
    event_committed,
    event_recorded,
    is_suppressed,
    register,
    suppressed,
    unregister,
)
from .messages import (
    DIGEST_KIND,
    EARLY_DISPATCH,
    GROUP_LISTED,
    _date,
    _EventRenderer,
    html_of,
    write_for_events,
)
from .rules import (
    ENTERPRISE_AUDIENCE_KINDS,
    IN_APP_ONLY_KINDS,
    RECIPIENTS,
    SMS_KINDS,
    SMS_ROLES,
    SWEEP_KINDS,
    audience_of,
    channels_for,
    recipients_for,
)

__all__ = [
    "DIGEST_KIND",
    "EARLY_DISPATCH",
    "ENTERPRISE_AUDIENCE_KINDS",
    "GROUP_LISTED",
    "Handler",
    "IN_APP_ONLY_KINDS",
    "RECIPIENTS",
    "SMS_KINDS",
    "SMS_ROLES",
    "SWEEP_KINDS",
    "_EventRenderer",
    "_date",
    "audience_of",
    "channels_for",
    "event_committed",
    "event_recorded",
    "html_of",
    "is_suppressed",
    "recipients_for",
    "register",
    "suppressed",
    "unregister",
    "write_for_events",
]
