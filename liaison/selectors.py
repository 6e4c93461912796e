"""Reads for the core app: departments, enterprises and what each role's home page shows."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from . import workdays
from .models import CalendarYear, Department, Enterprise, Role


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).select_related("supervising_leader")


def calendar_years_needing_schedule(*, today: dt.date | None = None) -> list[int]:
    """This year and next, where the schedule is not confirmed: the office should enter them."""
    today = today or timezone.localdate()
    wanted = [today.year, today.year + 1]
    confirmed = set(
        CalendarYear.objects.filter(year__in=wanted, confirmed=True).values_list("year", flat=True)
    )
    return [y for y in wanted if y not in confirmed]


def home_context(*, user, role: str | None) -> dict:
    today = timezone.localdate()
    from issues.selectors import home_summary

    context: dict = {"today": today, "today_is_working_day": workdays.is_working_day(today)}
    context["problems"] = home_summary(user=user, role=role)
    if role == Role.ENTERPRISE:
        context["enterprise"] = Enterprise.objects.select_related("town").get(
            pk=user.profile.enterprise_id
        )
    elif role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        context["department"] = Department.objects.select_related("supervising_leader").get(
            pk=user.profile.department_id
        )
    elif role in (Role.LEADER, Role.PRINCIPAL):
        context["supervised_departments"] = list(
            departments_active().filter(supervising_leader=user)
        )
    elif role in (Role.OFFICE, Role.ADMIN):
        context["calendar_years_unconfirmed"] = calendar_years_needing_schedule(today=today)
        context["department_count"] = departments_active().count()
        context["enterprise_count"] = Enterprise.objects.count()
    return context
