"""Celery beat's scheduler, locked: however many beats run, one schedules (DESIGN.md §5).

A second beat (started by mistake, or a stand-by on another machine) finds the lock
taken and sends nothing; it checks every few seconds and takes over when the first
one's process or connection is gone. The lock is a PostgreSQL advisory lock (a file
lock on SQLite), see `liaison.locks.ProcessLock`. Every beat task is also safe to run
twice (the sweep takes a lock of its own, the outbox claims each message), so the
lock keeps the schedule's load single rather than its effects correct.
"""

from __future__ import annotations

import logging

from celery.beat import PersistentScheduler

from .locks import ProcessLock

logger = logging.getLogger(__name__)

BEAT_LOCK = "liaison.beat"
# How often a beat checks its lock (often enough for the lock's idle-session limit).
CHECK_SECONDS = 10


class LockedScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs) -> None:
        self.lock = ProcessLock(BEAT_LOCK)
        self._standing_by = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        was_held = self.lock.held
        if not self.lock.acquire():
            if not self._standing_by:
                logger.warning("another beat holds the beat lock: standing by")
                self._standing_by = True
            return CHECK_SECONDS
        if not was_held:
            logger.info("this beat holds the beat lock: scheduling")
            self._standing_by = False
        return min(super().tick(*args, **kwargs), CHECK_SECONDS)

    def close(self) -> None:
        super().close()
        self.lock.release()
