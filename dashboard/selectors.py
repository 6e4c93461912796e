"""Reads for the home page of each role."""

from __future__ import annotations

from django.utils import timezone

from issues.selectors import home_summary
from liaison import workdays
from liaison.models import Department, Enterprise, Role
from liaison.selectors import calendar_years_needing_schedule, departments_active
from meetings.selectors import upcoming_invitations


def home_context(*, user, role: str | None) -> dict:
    today = timezone.localdate()
    context: dict = {"today": today, "today_is_working_day": workdays.is_working_day(today)}
    supervised = None
    if role in (Role.LEADER, Role.PRINCIPAL):
        # Every department they supervise, read once: its ids narrow the figures ("mine"),
        # the active ones are listed on the page.
        supervised = list(
            Department.objects.filter(supervising_leader=user).select_related("supervising_leader")
        )
    context["problems"] = home_summary(
        user=user,
        role=role,
        supervised_department_ids=None if supervised is None else [d.pk for d in supervised],
    )
    if role == Role.ENTERPRISE:
        context["enterprise"] = Enterprise.objects.select_related("town").get(
            pk=user.profile.enterprise_id
        )
        # The face-to-face meetings it is invited to, to reply and send problems ahead.
        context["upcoming_invitations"] = upcoming_invitations(
            user.profile.enterprise_id, now=timezone.now()
        )
    elif role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        context["department"] = Department.objects.select_related("supervising_leader").get(
            pk=user.profile.department_id
        )
    elif role in (Role.LEADER, Role.PRINCIPAL):
        context["supervised_departments"] = [d for d in supervised if d.is_active]
    elif role in (Role.OFFICE, Role.ADMIN):
        context["calendar_years_unconfirmed"] = calendar_years_needing_schedule(today=today)
        context["department_count"] = departments_active().count()
        context["enterprise_count"] = Enterprise.objects.count()
    return context
