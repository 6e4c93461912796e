"""The outbox's Celery tasks: thin wrappers over notifications.delivery.

Their names are the ones they had in the issues app: the routes and the beat schedule
(settings.CELERY_*) name them, and so may messages already queued.
"""

from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(
    name="notifications.tasks.deliver_notification",
    acks_late=True,
    ignore_result=True,  # the outbox row is the result; no result-backend traffic per e-mail
    # Shorter than the outbox's lease (LIAISON_OUTBOX_LEASE_SECONDS, 300 s): a send is
    # over, one way or the other, before another worker may take the message up.
    soft_time_limit=60,
    time_limit=90,
)
def deliver_notification(notification_id: int) -> str:
    """Send one e-mail or SMS from the outbox (it claims the row: never sent twice at once).

    No Celery retries: a failed attempt is rescheduled in the row itself, and the
    requeue hands it over when it is due (a retry held in the broker is lost when Redis
    restarts empty). Idempotent, hence acks_late.
    """
    return delivery.deliver(notification_id)


@shared_task(
    name="notifications.tasks.requeue_pending_notifications", acks_late=True, ignore_result=True
)
def requeue_pending_notifications() -> int:
    """Hand the workers every message whose time has come (written while the broker was
    down, due again after a failure, or left by a worker that died while sending)."""
    return delivery.requeue_pending()
