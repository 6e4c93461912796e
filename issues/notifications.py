"""Who is told about a problem event. The interface the workflow calls after each commit.

The delivery machinery (outbox, e-mail, in-app bell, SMS) arrives with the deadline
issue; until then `event_committed` hands the event to every registered handler,
and the default handler only logs. Handlers must never raise into the caller:
a failing notification must not undo or block a transition.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

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


def register(handler: Handler) -> Handler:
    """Add a handler called with the id of each committed ProblemEvent."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unregister(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def schedule(event_id: int) -> None:
    """Called by the workflow inside its transaction: tell people once the event is committed."""
    if getattr(_state, "suppressed", False):
        return
    transaction.on_commit(lambda: event_committed(event_id))


def event_committed(event_id: int) -> None:
    """Called by the workflow after the transaction that wrote the event has committed."""
    logger.info("problem event %s committed", event_id)
    for handler in list(_handlers):
        try:
            handler(event_id)
        except Exception:
            logger.exception("notification handler %r failed for event %s", handler, event_id)
