"""Celery tasks: thin wrappers over the deadline sweep and the notification outbox."""

from __future__ import annotations

from celery import shared_task

from . import deadlines, notifications


@shared_task(acks_late=True)
def enforce_deadlines() -> dict:
    """The deadline sweep (idempotent: safe to run twice or to redeliver)."""
    return deadlines.sweep().as_dict()


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def recompute_deadlines() -> int:
    """After a calendar edit: the stored times of unfinished problems (idempotent)."""
    from liaison import workdays

    workdays.invalidate()  # this worker process may hold the old calendar
    return deadlines.deadlines_recompute()


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,  # the outbox row is the result; no result-backend traffic per e-mail
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=6,
)
def deliver_notification(self, notification_id: int) -> str:
    """Send one e-mail or SMS from the outbox; a sent message is never sent again.

    Idempotent (only a pending row is sent), hence acks_late. A sending error is
    re-raised by `deliver` and retried with backoff; the last attempt marks it failed.
    """
    final_attempt = self.request.retries >= self.max_retries
    return notifications.deliver(notification_id, final_attempt=final_attempt)


@shared_task(acks_late=True)
def requeue_pending_notifications() -> int:
    """Queue again what is still pending (e.g. written while the broker was down)."""
    return notifications.requeue_pending()


@shared_task(acks_late=True)
def send_daily_digest() -> int:
    """08:30 on working days: each leader's escalations, each head's due-soon and overdue."""
    return notifications.send_daily_digest()
