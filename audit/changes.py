"""Which models' changes django-auditlog records, and with which fields.

The core's models (liaison) are registered here; an app above registers its own in its
AppConfig.ready with `track` (keytasks: key tasks and milestones).
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model

# Never in a change entry: the password's hash, and the time of each sign-in (the
# access records have the sign-ins; this would be one change entry per sign-in).
USER_EXCLUDED_FIELDS = ["password", "last_login"]


def track(model, *, exclude_fields=(), **options) -> None:
    """Record the creation, change and deletion of `model`'s rows (once).

    Only the model's own columns: for a row created or deleted, auditlog would otherwise
    read every reverse relation too, and a missing one-to-one (a user's profile) costs a
    query and is then cached as missing on the instance its caller goes on using.
    """
    if auditlog.contains(model):
        return
    include = [f.name for f in model._meta.concrete_fields if f.name not in exclude_fields]
    auditlog.register(model, include_fields=include, **options)


def track_core_models() -> None:
    from liaison.models import CalendarDay, CalendarYear, Department, Enterprise, Profile

    track(get_user_model(), exclude_fields=USER_EXCLUDED_FIELDS)
    track(Profile)
    track(Department)
    track(Enterprise)
    track(CalendarDay)
    track(CalendarYear)


def tracked_models() -> list:
    """The models whose changes are recorded, in the order the audit page offers them."""
    return list(auditlog.get_models())
