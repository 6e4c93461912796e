"""The hook the workflow calls: each recorded event's outbox rows written in its
transaction (issues.notifications.rules says who is told, .messages writes them), the
handlers told of it after the commit, and the switch that keeps demo data and imports
silent."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

from ..models import ProblemEvent
from .messages import write_for_events
from .rules import recipients_for

logger = logging.getLogger(__name__)

Handler = Callable[[int], None]
_handlers: list[Handler] = []
_state = threading.local()


@contextmanager
def suppressed() -> Iterator[None]:
    """Record events without telling anyone: for demo data and data imports."""
    previous = getattr(_state, "suppressed", False)
    _state.suppressed = True
    try:
        yield
    finally:
        _state.suppressed = previous


def is_suppressed() -> bool:
    return getattr(_state, "suppressed", False)


def register(handler: Handler) -> Handler:
    """Add a handler called with the id of each committed ProblemEvent."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unregister(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def event_recorded(event: ProblemEvent) -> None:
    """Called by the workflow inside the transaction that wrote `event`: write its outbox rows."""
    if is_suppressed():
        return
    recipients = recipients_for(event)
    if recipients:
        # Those told were just read with their profiles, the actor is this request's (or
        # task's) user, read so, and the problem was just saved: not read again.
        actor = [event.actor] if ProblemEvent.actor.is_cached(event) and event.actor else []
        problem = [event.problem] if ProblemEvent.problem.is_cached(event) else []
        write_for_events([(event, recipients)], known=[*recipients, *actor], problems=problem)
    transaction.on_commit(lambda: event_committed(event.pk))


def event_committed(event_id: int) -> None:
    """After the commit: hand the event to the registered handlers; none may break the caller."""
    for handler in list(_handlers):
        try:
            handler(event_id)
        except Exception:
            logger.exception("notification handler %r failed for event %s", handler, event_id)
