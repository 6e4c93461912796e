"""The webhooks' Celery tasks: thin wrappers over api.webhooks.sending."""

from __future__ import annotations

from celery import shared_task

from .webhooks import sending


@shared_task(
    name="api.tasks.deliver_webhooks",
    acks_late=True,
    ignore_result=True,  # the delivery rows are the result
    # A batch posts one delivery after another, each waiting at most the timeout (≤ 10 s);
    # each delivery's claim (LIAISON_WEBHOOKS_LEASE_SECONDS) outlasts its own attempt.
    soft_time_limit=240,
    time_limit=300,
)
def deliver_webhooks(delivery_ids: list[str]) -> dict[str, int]:
    """Send a batch of deliveries (each claimed first: never sent twice at once).

    No Celery retries: a failed attempt is rescheduled in its row and the requeue hands
    it over when due. Idempotent, hence acks_late.
    """
    return sending.deliver_batch(delivery_ids)


@shared_task(name="api.tasks.requeue_pending_webhooks", acks_late=True, ignore_result=True)
def requeue_pending_webhooks() -> int:
    """Hand the workers every delivery whose time has come (beat, every few seconds)."""
    return sending.requeue_pending()
