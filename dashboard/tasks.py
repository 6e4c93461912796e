"""The dashboard summary's Celery tasks (thin wrappers over dashboard.summary).

Their names are the ones they had in the liaison app: the beat schedule and the routes
(settings.CELERY_*) name them, and so may messages already queued.
"""

from celery import shared_task

from .summary import dashboard_refresh


@shared_task(name="dashboard.tasks.refresh_dashboard", acks_late=True, ignore_result=True)
def refresh_dashboard() -> int:
    """Every minute: recompute the dashboard cells of the months that changed.

    Idempotent (a month is rebuilt from its problems), hence acks_late.
    """
    return len(dashboard_refresh())


@shared_task(
    name="dashboard.tasks.refresh_dashboard_full",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def refresh_dashboard_full() -> int:
    """Nightly: rebuild every cell (picks up what updated_at does not record, e.g. towns)."""
    return len(dashboard_refresh(full=True))


# A month's figures take seconds at a million problems (bench_bulletin): well past the
# default two minutes on a loaded machine.
@shared_task(
    name="dashboard.tasks.generate_monthly_bulletin",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=600,
    time_limit=660,
)
def generate_monthly_bulletin() -> str:
    """Every morning: on the first working day of a month (or the first run after it),
    last month's bulletin, as a draft for the office (idempotent: never two for a month)."""
    from .bulletin.services import bulletin_generate_due

    bulletin = bulletin_generate_due()
    return bulletin.slug if bulletin else ""


@shared_task(name="dashboard.tasks.freeze_assessments", acks_late=True, ignore_result=True)
def freeze_assessments() -> int:
    """Daily: freeze every month whose freezing day (the first working day after it) has
    come (dashboard.assessment). Idempotent: a frozen month is never recounted here."""
    from .assessment.services import assessments_freeze_due

    return len(assessments_freeze_due())


@shared_task(
    name="dashboard.tasks.refresh_provisional_assessments",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=600,
    time_limit=660,
)
def refresh_provisional_assessments() -> int:
    """Every few minutes (LIAISON_ASSESSMENT_REFRESH_SECONDS): count the months not frozen
    yet (this month, last month until its freezing day) for their ranking page. Idempotent
    (a snapshot is replaced by a newer count); frozen months are never touched."""
    from .assessment.services import provisionals_refresh_due

    return len(provisionals_refresh_due())
