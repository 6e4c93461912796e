"""The audit trail's nightly purge (beat: LIAISON_AUDIT_RETENTION_DAYS)."""

from celery import shared_task


@shared_task(ignore_result=True)
def purge_audit() -> None:
    """Delete audit records older than the retention; a thin wrapper of the service."""
    from .services import audit_purge

    audit_purge()
