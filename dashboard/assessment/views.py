"""The assessment pages: the month's (or year's) ranking, the problems behind a figure, the
office's weights and recalculation, the .xlsx export. Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from liaison import permissions, workdays
from liaison.pages import form_errors_to_messages, page_of, role_required
from liaison.replicas import reads_may_lag
from liaison.xlsx import xlsx_response

from . import figures, selectors
from .export import ranking_workbook
from .forms import RecalculateForm, SchemeForm
from .models import DEFAULT_WEIGHTS, INDICATORS, AssessmentScheme
from .services import (
    AssessmentError,
    latest_scheme,
    month_recalculate,
    provisional_refresh,
    scheme_create,
)

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
YEARS_OFFERED = 5


def _default_month(now: dt.datetime) -> dt.date:
    """Last month: the latest that may be frozen."""
    this_month = figures.month_start(workdays.local_date(now))
    return figures.month_start(this_month - dt.timedelta(days=1))


def parse_month(text: str) -> dt.date | None:
    match = MONTH_PATTERN.match(text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def _chosen_month(request, now: dt.datetime) -> dt.date:
    raw = request.GET.get("month")
    if raw is None:
        return _default_month(now)
    month = parse_month(raw)
    if month is None or month > figures.month_start(workdays.local_date(now)):
        messages.error(request, _("Choose a month up to this one, as YYYY-MM."))
        return _default_month(now)
    return month


def _chosen_year(request, now: dt.datetime) -> int:
    this_year = workdays.local_date(now).year
    raw = request.GET.get("year", "")
    if raw.isdigit() and this_year - YEARS_OFFERED < int(raw) <= this_year:
        return int(raw)
    if raw:
        messages.error(request, _("Choose one of the years offered."))
    return this_year


def _visible_standings(user, ranking: selectors.Ranking, month: dt.date | None = None):
    """Every department's row for the office and leaders; a head sees the ranking table too,
    with links only for their own department. `links`: each figure's problem list (one
    reverse for the page, not one per link)."""
    pattern = reverse("assessment:problems", args=[f"{month:%Y-%m}", 0, "FIGURE"]) if month else ""
    prefix, _zero, _rest = pattern.rpartition("/0/FIGURE/")
    for standing in ranking.standings:
        standing.may_open = bool(month) and selectors.may_see_department(
            user, standing.department_id
        )
        standing.links = (
            {name: f"{prefix}/{standing.department_id}/{name}/" for name in figures.FIGURE_NAMES}
            if standing.may_open
            else {}
        )
    return ranking.standings


def _month_ranking(month: dt.date, now: dt.datetime) -> selectors.Ranking:
    """The frozen ranking, or the provisional snapshot; a month with neither (nobody asked
    since the last refresh, or beat is down) is counted once now and kept: the next views
    read it."""
    ranking = selectors.month_ranking(month, now)
    if ranking is None:
        snapshot = provisional_refresh(month=month, now=now)
        ranking = (
            selectors.snapshot_ranking(snapshot) if snapshot else selectors.frozen_ranking(month)
        )
    return ranking


def _weights(ranking) -> list[tuple[str, str, int]]:
    return [(key, label, ranking.weights.get(key, 0)) for key, label in INDICATORS]


@role_required(permissions.can_view_dashboard)
@require_GET
@reads_may_lag
def ranking_page(request):
    now = timezone.now()
    month = _chosen_month(request, now)
    ranking = _month_ranking(month, now)
    assessment = ranking.assessment
    return render(
        request,
        "dashboard/assessment/ranking.html",
        {
            "ranking": ranking,
            "month": month,
            "month_param": f"{month:%Y-%m}",
            "months": selectors.months_offered(now),
            "standings": _visible_standings(request.user, ranking, month),
            "weights": _weights(ranking),
            "is_office": permissions.is_office(request.user),
            "refresh_minutes": max(1, settings.LIAISON_ASSESSMENT_REFRESH_SECONDS // 60),
            "recalculate_form": RecalculateForm(initial={"version": assessment.version})
            if assessment and permissions.is_office(request.user)
            else None,
            "log": list(selectors.month_log(month)[:10]) if assessment else [],
        },
    )


@role_required(permissions.can_view_dashboard)
@require_GET
@reads_may_lag
def year_page(request):
    now = timezone.now()
    year = _chosen_year(request, now)
    ranking = selectors.year_ranking(year)
    this_year = workdays.local_date(now).year
    return render(
        request,
        "dashboard/assessment/year.html",
        {
            "ranking": ranking,
            "year": year,
            "years": list(range(this_year, this_year - YEARS_OFFERED, -1)),
            "standings": _visible_standings(request.user, ranking),
            "weights": _weights(ranking),
        },
    )


@role_required(permissions.can_view_dashboard)
@require_GET
@reads_may_lag
def problems_page(request, month: str, department_id: int, figure: str):
    chosen = parse_month(month)
    if chosen is None:
        raise Http404
    problems = selectors.problems_behind(
        user=request.user, month=chosen, department_id=department_id, figure=figure
    )
    labels = figure_labels()
    return render(
        request,
        "dashboard/assessment/problems.html",
        {
            "page": page_of(request, problems),
            "month": chosen,
            "month_param": month,
            "department_name": figures.department_labels([department_id]).get(department_id, ""),
            "figure_label": labels[figure],
            "frozen": selectors.is_frozen(chosen),
        },
    )


@role_required(permissions.is_office)
@require_POST
def recalculate(request, month: str):
    chosen = parse_month(month)
    if chosen is None:
        raise Http404
    back = f"{reverse('assessment:ranking')}?month={month}"
    form = RecalculateForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(back)
    try:
        month_recalculate(
            month=chosen,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except AssessmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The month was recalculated; the change is logged."))
    return redirect(back)


@role_required(permissions.is_office)
@require_http_methods(["GET", "POST"])
def scheme_page(request):
    now = timezone.now()
    this_year = workdays.local_date(now).year
    years = [this_year + 1, *range(this_year, this_year - YEARS_OFFERED, -1)]
    year = _chosen_year(request, now) if request.method == "GET" else this_year
    current = latest_scheme(year)
    initial = {"year": year, **(current.weights if current else DEFAULT_WEIGHTS)}
    form = SchemeForm(request.POST or None, initial=initial, years=years)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = scheme_create(
                year=form.cleaned_data["year"],
                weights=form.weights(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except AssessmentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Weights for %(year)s saved as version %(version)s.")
                % {"year": scheme.year, "version": scheme.version},
            )
            return redirect(f"{reverse('assessment:scheme')}?year={scheme.year}")
    return render(
        request,
        "dashboard/assessment/scheme.html",
        {
            "form": form,
            "year": year,
            "versions": list(
                AssessmentScheme.objects.filter(year=year).select_related("created_by")[:20]
            ),
            "indicators": INDICATORS,
        },
    )


@role_required(permissions.can_view_dashboard)
@require_GET
@reads_may_lag
def export_xlsx(request):
    now = timezone.now()
    if "year" in request.GET:
        year = _chosen_year(request, now)
        ranking = selectors.year_ranking(year)
        period = str(year)
    else:
        month = _chosen_month(request, now)
        ranking = _month_ranking(month, now)
        period = f"{month:%Y-%m}"
    filename = _("Assessment %(period)s.xlsx") % {"period": period}
    audit.record(request, Action.EXPORTED, object_type="assessment", label=filename)
    return xlsx_response(ranking_workbook(ranking, period), filename)


def figure_labels() -> dict[str, str]:
    return {
        "accepted": _("Accepted"),
        "acknowledge_due": _("Due for acknowledgement"),
        "acknowledged_in_time": _("Acknowledged within 1 working day"),
        "acknowledged_late": _("Not acknowledged within 1 working day"),
        "concluded": _("Concluded"),
        "on_time": _("Concluded on time"),
        "late": _("Concluded late"),
        "evaluated_self": _("Evaluated by the enterprise"),
        "satisfied_self": _("Satisfied (enterprise's own evaluation)"),
        "unsatisfied_self": _("Unsatisfied (enterprise's own evaluation)"),
        "evaluated_callback": _("Evaluated by call-back"),
        "satisfied_callback": _("Satisfied (call-back)"),
        "unsatisfied_callback": _("Unsatisfied (call-back)"),
        "answered": _("Answered"),
        "reopened": _("Reopened"),
        "overdue": _("Overdue"),
        "extended": _("Extension granted"),
    }
