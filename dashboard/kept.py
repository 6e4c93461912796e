"""The dashboard page's figures kept for a few seconds in each web process (issue 18).

The page's figures are reads that may lag by seconds (liaison.replicas: they may come
from a read replica): the summary behind most of them is refreshed once a minute, and the
page says the time its figures are as of. Counting them costs a dozen queries and most of
the page's time; a liaison office's screen, a leaders' meeting and the district's
officials opening the dashboard together ask for the same few filters again and again.
So each process keeps what it counted for a filter for LIAISON_DASHBOARD_KEEP_SECONDS
(0: never), and answers the same filter from it meanwhile:

- the key is everything the figures depend on: the language (names and month labels),
  the department a department head is held to, and the filter as the problem list's
  parameters (the period and every other filter); never the user, whose role only decides
  what the page shows of the figures, not what they are;
- a user who wrote in the last LIAISON_REPLICA_PIN_SECONDS (the pin that reads their own
  writes back from the primary) gets figures counted now, which the others then share;
- at most MAX_KEPT filters are kept (the least recently used go first), and nothing
  outlives its seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

MAX_KEPT = 64

_kept: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_lock = threading.Lock()


def kept(key: Hashable, count: Callable[[], T], *, seconds: float, fresh: bool = False) -> T:
    """What `count()` returned for `key` less than `seconds` ago in this process, else
    `count()` (kept for the next `seconds`). `fresh`: count now whatever is kept."""
    if seconds <= 0:
        return count()
    if not fresh:
        with _lock:
            found = _kept.get(key)
            if found is not None and found[0] > time.monotonic():
                _kept.move_to_end(key)
                return found[1]  # type: ignore[return-value]
    value = count()
    with _lock:
        _kept[key] = (time.monotonic() + seconds, value)
        _kept.move_to_end(key)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything kept (tests)."""
    with _lock:
        _kept.clear()
