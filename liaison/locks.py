"""Locks between processes, by name.

- `advisory_lock` / `hold_advisory_lock`: until the end of a transaction
  (pg_advisory_xact_lock, exclusive or shared), released by the commit or the rollback, so
  nothing can leak one. The working-day calendar: an edit holds "liaison.calendar"
  exclusively, each rule of the deadline sweep holds it shared (liaison.workdays.in_force).
- `session_lock`: for a block that spans several transactions (one deadline sweep at a
  time), held by the connection's session and released at the end of the block; a
  process that dies lets go of it with its connection.
- `ProcessLock`: held for as long as a process lives (the one Celery beat).

On SQLite they take nothing, except ProcessLock (a lock on a file): every transaction
there is IMMEDIATE (DATABASES in settings), so writers are already serialised by the
database file's lock, and SQLite runs on one machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import Error, connection, connections, transaction

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """The signed 64-bit key of `name`: the same in every process and release."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def hold_advisory_lock(name: str, *, shared: bool = False, wait: bool = True) -> bool:
    """Take the lock `name` for the rest of the current transaction; whether it is held.

    Shared holders exclude only an exclusive holder (many readers, one writer). With
    `wait=False` it does not wait: False when another transaction holds the lock, and the
    caller skips its work. Only inside transaction.atomic(): outside one, the lock would
    end with the statement that took it.
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "an advisory lock lasts until the transaction ends: take it inside atomic()"
        )
    if connection.vendor != "postgresql":
        return True
    function = f"pg_{'' if wait else 'try_'}advisory_xact_lock{'_shared' if shared else ''}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [lock_key(name)])
        return True if wait else bool(cursor.fetchone()[0])


@contextmanager
def advisory_lock(name: str, *, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Run the block in a transaction that holds the lock `name`; yields whether it is held.

    `with advisory_lock("x"):` is `with transaction.atomic():` plus the lock. Nested in an
    outer transaction, the lock lasts until that one ends (so what was done under it is
    committed before anyone else may take it).
    """
    with transaction.atomic():
        yield hold_advisory_lock(name, shared=shared, wait=wait)


@contextmanager
def session_lock(name: str) -> Iterator[bool]:
    """Try to take the named lock for this block, on this thread's connection, across the
    transactions the block runs; yield whether it was taken (never waits). Always taken
    on SQLite."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except Error:  # the connection broke: the lock went with it
                logger.warning("could not release lock %s: its connection is gone", name)


class ProcessLock:
    """A named lock this process holds for as long as it lives (e.g. the beat's).

    PostgreSQL: an advisory lock on a connection of the lock's own, checked at each
    `acquire()` (if the connection broke, the lock is lost, and taken again if free).
    The session ends itself after a minute without a query, so a machine that vanished
    without closing its connection does not keep the lock; call `acquire()` more often.
    SQLite: an exclusive lock on a file under LIAISON_VAR_DIR.
    """

    IDLE_SESSION_TIMEOUT = "60s"

    def __init__(self, name: str) -> None:
        self.name = name
        self._connection = None
        self._file = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        """Keep or take the lock; return whether this process holds it now."""
        if connections["default"].vendor == "postgresql":
            return self._acquire_advisory()
        return self._acquire_file()

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Error:
                pass
            self._connection = None
        if self._file is not None:
            self._file.close()  # closing the file releases its lock
            self._file = None

    def _acquire_advisory(self) -> bool:
        if self._connection is not None:
            try:
                with self._connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return True
            except Error:
                logger.warning("lost the %s lock with its database connection", self.name)
                self.release()
        wrapper = connections.create_connection("default")
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(self.name)])
                taken = cursor.fetchone()[0]
                if taken:
                    self._limit_idle_session(cursor)
        except Error as error:
            logger.warning("could not take the %s lock: %s", self.name, error)
            taken = False
        self._connection = wrapper
        if not taken:
            self.release()
        return taken

    def _limit_idle_session(self, cursor) -> None:
        try:
            cursor.execute("SET idle_session_timeout = %s", [self.IDLE_SESSION_TIMEOUT])
        except Error:  # PostgreSQL before 14: the lock lives as long as the session
            pass

    def _acquire_file(self) -> bool:
        if self._file is not None:
            return True
        path = Path(settings.VAR_DIR) / f"{self.name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = path.open("a")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.close()
            return False
        self._file = lock_file
        return True
