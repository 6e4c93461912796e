"""Reads for the core app: departments, enterprises and the working-day calendar's years."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from . import permissions
from .models import CalendarYear, Department, Enterprise


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).select_related("supervising_leader")


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    """The enterprises `user` may see (permissions.can_see_enterprise, for a set)."""
    enterprises = Enterprise.objects.all()
    if permissions.can_see_all_departments(user) or permissions.is_department_user(user):
        return enterprises
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is not None:
        return enterprises.filter(pk=enterprise_id)
    return enterprises.none()


def calendar_years_needing_schedule(*, today: dt.date | None = None) -> list[int]:
    """This year and next, where the schedule is not confirmed: the office should enter them."""
    today = today or timezone.localdate()
    wanted = [today.year, today.year + 1]
    confirmed = set(
        CalendarYear.objects.filter(year__in=wanted, confirmed=True).values_list("year", flat=True)
    )
    return [y for y in wanted if y not in confirmed]
