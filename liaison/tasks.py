"""Core Celery tasks: health check and the dashboard summary (thin wrappers)."""

from celery import shared_task


@shared_task
def ping() -> str:
    """Answers 'pong'; used by health checks and the worker integration test."""
    return "pong"


@shared_task(acks_late=True, ignore_result=True)
def refresh_dashboard() -> int:
    """Every minute: recompute the dashboard cells of the months that changed.

    Idempotent (a month is rebuilt from its problems), hence acks_late.
    """
    from .dashboard import dashboard_refresh

    return len(dashboard_refresh())


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def refresh_dashboard_full() -> int:
    """Nightly: rebuild every cell (picks up what updated_at does not record, e.g. towns)."""
    from .dashboard import dashboard_refresh

    return len(dashboard_refresh(full=True))
