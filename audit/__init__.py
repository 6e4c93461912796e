"""The audit trail (issue 15): who changed what, who read whose data, who signed in.

The apps above call `audit.record(request, action, obj)` where a person reads personal
data, exports or downloads; changes are django-auditlog's (audit.changes.track).
"""

from __future__ import annotations


def record(request, action, obj=None, enterprise=None, detail="", **kwargs):
    """Append one access record (audit.services.access_record): one INSERT."""
    from .services import access_record

    return access_record(request, action, obj=obj, enterprise=enterprise, detail=detail, **kwargs)


def record_two_factor(request, action, *, user, detail=""):
    """A two-factor event (audit.models.Action.TWO_FACTOR_*) for `user`, who may not be
    signed in yet (the check sits between the password and the session)."""
    from .services import access_record

    return access_record(request, action, user=user, detail=detail)
