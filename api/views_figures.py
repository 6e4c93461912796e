"""/api/v1/figures/ (the leaders' dashboard's headline and league table for a period) and
/api/v1/calendar/ (working days, deadlines): the dashboard's and the clock's own code."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from dashboard.figures import dashboard
from dashboard.filters import DashboardFilter
from issues.clock import deadline_from
from issues.models import Problem
from liaison import permissions, workdays
from liaison.replicas import reads_may_lag

from . import serializers as s
from .models import Scope


def _own_department(user):
    """A department head's figures are the department's (as on the dashboard page)."""
    if permissions.can_see_all_departments(user):
        return None
    return user.profile.department


def _counts(figures) -> dict:
    return {**figures.counts, "average_working_days": figures.average_working_days}


@extend_schema(
    summary="The dashboard's headline figures and league table for a period",
    description="A year (`year`, this year by default) or a date range (`date_from`, "
    "`date_to`: 2000-2100, at most 10 years), optionally one department, category, meeting "
    "or responsible leader, as on the dashboard. The office and leaders: the district; a "
    "department head: the department.",
    parameters=[s.FiguresQuerySerializer],
    responses={
        200: s.FiguresSerializer,
        400: OpenApiResponse(description="Field errors."),
        403: OpenApiResponse(s.ErrorSerializer, description="Not a dashboard reader."),
    },
)
@api_view(["GET"])
@reads_may_lag
def figures(request):
    if not permissions.can_view_dashboard(request.user):
        raise PermissionDenied
    chosen = DashboardFilter(
        request.query_params,
        queryset=Problem.objects.all(),
        department=_own_department(request.user),
    )
    if not chosen.is_valid():
        raise ValidationError({name: list(errors) for name, errors in chosen.form.errors.items()})
    department = chosen.forced_department
    result = dashboard(
        chosen.qs,
        period=chosen.period(),
        list_params=chosen.list_params(),
        department_id=department.pk if department else None,
        summary=chosen.summary_lookups(),
    )
    first, last = result.period
    data = {
        "date_from": first,
        "date_to": last,
        "as_of": result.as_of,
        "headline": _counts(result.headline),
        "league": [
            {
                "department": {"id": row.key.pk if row.key else None, "name": row.label},
                **_counts(row),
            }
            for row in result.departments
        ],
        "appeal_types": [
            {"appeal_type": row.key.value, "label": row.label, **_counts(row)}
            for row in result.appeal_types
        ],
    }
    return Response(s.FiguresSerializer(data).data)


figures.cls.required_scopes = Scope.FIGURES_READ


@extend_schema(
    summary="Is this day a working day?",
    description="Monday to Friday, minus statutory holidays, plus make-up working days "
    "(调休), from the district's calendar.",
    parameters=[s.WorkingDayQuerySerializer],
    responses={200: s.WorkingDaySerializer, 400: OpenApiResponse(description="Field errors.")},
)
@api_view(["GET"])
def working_day(request):
    query = s.WorkingDayQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    day = query.validated_data["date"]
    data = {
        "date": day,
        "is_working_day": workdays.is_working_day(day),
        "provisional": not workdays.is_year_confirmed(day.year),
    }
    return Response(s.WorkingDaySerializer(data).data)


@extend_schema(
    summary="The deadline of a clock started at a given time",
    description="The end (23:59:59 Asia/Shanghai) of the N-th working day after the day "
    "the clock starts (that day is not counted), and when the warning starts.",
    parameters=[s.DeadlineQuerySerializer],
    responses={200: s.DeadlineSerializer, 400: OpenApiResponse(description="Field errors.")},
)
@api_view(["GET"])
def deadline(request):
    query = s.DeadlineQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start = query.validated_data["start"]
    days = query.validated_data.get("working_days") or settings.LIAISON_DEADLINE_WORKING_DAYS
    result = deadline_from(start, days)
    data = {
        "start": start,
        "working_days": days,
        "due_at": result.due_at,
        "warn_at": result.warn_at,
        "provisional": result.provisional,
    }
    return Response(s.DeadlineSerializer(data).data)
