"""The read replica (DATABASE_REPLICA_URL): which reads may lag, the router that sends them
there, the pin that keeps a user who just wrote on the primary, and the fall-back to the
primary when the replica is out of reach.

Nothing here acts unless settings name ReplicaRouter in DATABASE_ROUTERS (they do when
DATABASE_REPLICA_URL is set). Then a read goes to the replica only when all hold:

- the view is marked `@reads_may_lag` (pages of figures, statistics, exports, the API's
  lists): every other read, and every write, stays on the primary;
- the request is a GET or HEAD (a marked page's form posts to the primary);
- the user has not written in the last LIAISON_REPLICA_PIN_SECONDS (ReplicaPinMiddleware
  pins them after any POST, PUT, PATCH or DELETE that succeeded, the API's included);
- the primary's connection is not inside a transaction (a read there must see the
  transaction's own writes; select_for_update needs one anyway);
- the replica answered lately (after a failure it is left alone for
  REPLICA_RETRY_SECONDS, and the page is read from the primary, with a log line).

Raw SQL through django.db.connection goes to the primary whatever this says: a module
that wants its raw reads to follow the router uses `connection_for_read(model)`.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    router,
)

logger = logging.getLogger(__name__)

REPLICA = "replica"
ALIASES = frozenset({DEFAULT_DB_ALIAS, REPLICA})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After the replica failed, this process reads from the primary for so long before it tries
# the replica again (each try waits up to the connect timeout when the host is gone).
REPLICA_RETRY_SECONDS = 30

# True while a view marked @reads_may_lag runs on the replica's behalf.
_reads_may_lag: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "liaison_reads_may_lag", default=False
)
# time.monotonic() until which this process leaves the replica alone.
_replica_down_until = 0.0


class ReplicaRouter:
    """Reads marked as allowed to lag go to the replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        if _reads_may_lag.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        # Said outright: an instance read from the replica must not take later reads of
        # its relations there (Django's fall-back is the instance's own database).
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if obj1._state.db in ALIASES and obj2._state.db in ALIASES:
            return True  # the same rows: the replica is a copy of the primary
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def replica_configured() -> bool:
    """Are reads routed to a replica at all (DATABASE_ROUTERS has ReplicaRouter)?"""
    return any(isinstance(each, ReplicaRouter) for each in router.routers)


def reading_from_replica() -> bool:
    """Would a read now go to the replica? (For tests and log lines.)"""
    return replica_configured() and router.db_for_read(None) == REPLICA


def connection_for_read(model):
    """The connection a read of `model` goes to now: for raw SQL that should lag as the
    ORM's reads do (django.db.connection is always the primary)."""
    return connections[router.db_for_read(model)]


# --- The pin: a user's own writes are read back from the primary --------------------------


def _pin_key(user_id: int) -> str:
    return f"liaison:replica-pin:{user_id}"


def pin_to_primary(user) -> None:
    """Keep `user`'s reads on the primary for LIAISON_REPLICA_PIN_SECONDS.

    In the cache, by user, not in a cookie or the session: API clients send a key, keep
    no session and need not keep cookies, and a user's second device is pinned too. The
    cache is Redis, shared by every web process, when REDIS_URL is set (a replica
    without it: a system check warns that each process then pins on its own).
    """
    try:
        cache.set(_pin_key(user.pk), 1, timeout=settings.LIAISON_REPLICA_PIN_SECONDS)
    except Exception as error:  # the cache is down: is_pinned() says pinned meanwhile
        logger.warning("could not pin user %s to the primary database: %s", user.pk, error)


def is_pinned(user) -> bool:
    """Did `user` write lately? (True when the cache cannot say: the primary is safe.)"""
    if user is None or not user.is_authenticated:
        return False
    try:
        return cache.get(_pin_key(user.pk)) is not None
    except Exception as error:
        logger.warning("could not read user %s's pin; reading from the primary: %s", user.pk, error)
        return True


class ReplicaPinMiddleware:
    """After a request that wrote (an unsafe method that succeeded: 1xx-3xx), its user's
    reads stay on the primary for LIAISON_REPLICA_PIN_SECONDS. Sits after authentication;
    an API request's user is the client's service account, which DRF sets on the request
    while the view runs, so it is known here on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pin_to_primary(user)
        return response


# --- Marking reads that may lag -----------------------------------------------------------


def _replica_answers() -> bool:
    """Is the replica worth trying? Connects if need be (at most the connect timeout)."""
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as error:
        _replica_down(error)
        return False
    return True


def _replica_down(error: Exception) -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
    logger.warning(
        "the read replica does not answer (%s); reading from the primary for %s s",
        type(error).__name__,
        REPLICA_RETRY_SECONDS,
    )


def replica_reset() -> None:
    """Forget a failure of the replica (tests; an operator's shell after fixing it)."""
    global _replica_down_until
    _replica_down_until = 0.0


def _may_use_replica(request) -> bool:
    return (
        replica_configured()
        and request.method in SAFE_METHODS
        and not is_pinned(getattr(request, "user", None))
        and _replica_answers()
    )


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured and outside a transaction).
    For code that is not a view; a view uses @reads_may_lag, which also checks the pin."""
    token = _reads_may_lag.set(True)
    try:
        yield
    finally:
        _reads_may_lag.reset(token)


def reads_may_lag(view):
    """Mark a view whose reads may be a few seconds behind: figures, statistics, exports,
    the API's lists. Innermost, under the login and role decorators (their reads stay on
    the primary); on a DRF method through django.utils.decorators.method_decorator.

    When the replica fails during the view (it went away, or it cancelled a query that
    conflicted with replication), the view runs again on the primary: these views read,
    and the one write some make (the audit line of an export) is then recorded twice,
    which is what happened.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _may_use_replica(request):
            return view(request, *args, **kwargs)
        try:
            with replica_reads():
                return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            replica = connections[REPLICA]
            if replica.connection is not None and replica.is_usable():
                # The replica is up: the error was the primary's, or a query the replica
                # cancelled; the primary answers (or fails as it would have anyway).
                logger.warning(
                    "a read on the replica failed (%s); reading from the primary",
                    type(error).__name__,
                )
            else:
                _replica_down(error)
        return view(request, *args, **kwargs)

    wrapped.reads_may_lag = True  # the decorators above copy it: tests list marked views
    return wrapped
