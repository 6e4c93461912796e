"""Writes of the audit trail: one access record, and the purge of records past retention."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from liaison import permissions
from liaison.login_protection import client_address
from liaison.models import Enterprise, Profile, Role

from .models import (
    DETAIL_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MIN_RETENTION_DAYS,
    PATH_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    AccessEvent,
    Action,
)


def _address(request) -> str | None:
    if request is None:
        return None
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except (TypeError, ValueError):
        return None


def _role_of(user):
    """The user's role: from the profile the request has loaded, else read by the INSERT
    itself (a subquery), so that the record stays one query."""
    if get_user_model().profile.is_cached(user):
        return permissions.role_of(user) or ""
    fallback = Role.ADMIN.value if user.is_superuser else ""
    role = Profile.objects.filter(user_id=user.pk).values("role")[:1]
    return Coalesce(Subquery(role), Value(fallback))


def _enterprise_id_of(obj, enterprise) -> int | None:
    if enterprise is not None:
        return enterprise.pk if isinstance(enterprise, Model) else int(enterprise)
    if isinstance(obj, Enterprise):
        return obj.pk
    # A problem's or an attachment's enterprise, by id: no query.
    return getattr(obj, "enterprise_id", None)


def access_record(
    request,
    action: str,
    *,
    obj: Model | None = None,
    enterprise: Enterprise | int | None = None,
    detail: str = "",
    user=None,
    username: str = "",
    object_type: str = "",
    label: str = "",
) -> AccessEvent:
    """Append one record of `action` by the request's user (or `user`, or for a failed
    sign-in only the `username` tried) on `obj`. One INSERT: the user's role is read from
    the profile the request has already loaded."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False))
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        label = label or str(obj)
    event = AccessEvent(
        at=timezone.now(),
        actor=user if signed_in else None,
        username=(user.get_username() if signed_in else username)[:USERNAME_MAX_LENGTH],
        role=_role_of(user) if signed_in else "",
        action=action,
        object_type=object_type[:50],
        object_id="" if obj is None else str(obj.pk)[:64],
        object_label=label[:LABEL_MAX_LENGTH],
        enterprise_id=_enterprise_id_of(obj, enterprise),
        ip_address=_address(request),
        path="" if request is None else request.get_full_path()[:PATH_MAX_LENGTH],
        detail=str(detail)[:DETAIL_MAX_LENGTH],
    )
    event.save(force_insert=True)
    return event


@dataclass
class PurgeResult:
    before: dt.datetime
    access_records: int
    change_entries: int


def audit_purge(*, days: int | None = None, now: dt.datetime | None = None) -> PurgeResult:
    """Delete access records and change entries older than `days` (the retention setting).

    On PostgreSQL the tables' trigger allows these deletes only inside this transaction
    (audit.purge_before), and only of rows older than MIN_RETENTION_DAYS whatever it says.
    """
    days = settings.LIAISON_AUDIT_RETENTION_DAYS if days is None else days
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"the audit trail is kept at least {MIN_RETENTION_DAYS} days")
    before = (now or timezone.now()) - dt.timedelta(days=days)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('audit.purge_before', %s, true)", [before.isoformat()]
                )
        # The plain manager's delete: AccessEvent.objects refuses any.
        access_records, _ = AccessEvent._base_manager.filter(at__lt=before).delete()
        change_entries, _ = LogEntry.objects.filter(timestamp__lt=before).delete()
    return PurgeResult(before=before, access_records=access_records, change_entries=change_entries)
