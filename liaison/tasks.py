"""Core Celery tasks: the health check and the workers' heartbeat."""

from celery import shared_task


@shared_task
def ping() -> str:
    """Answers 'pong'; used by health checks and the worker integration test."""
    return "pong"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Every LIAISON_HEARTBEAT_SECONDS (beat): a worker notes that it runs tasks (/readyz)."""
    from .readiness import WORKER, heartbeat_record

    heartbeat_record(WORKER, detail=heartbeat.request.hostname or "")
