"""Core Celery tasks."""

from celery import shared_task


@shared_task
def ping() -> str:
    """Answers 'pong'; used by health checks and the worker integration test."""
    return "pong"
