"""Celery tasks of the service side: a thin wrapper over the follow-up reminders."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def remind_follow_ups() -> int:
    """Idempotent: each visit is claimed once, and the outbox writes nothing twice."""
    return services.follow_ups_remind()
