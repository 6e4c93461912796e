"""The leaders' dashboard filter (django-filter): period, department, category, town or
street, appeal type, meeting, leader.

The period is the time the problems were received (created_at, Asia/Shanghai): a year
(the current one by default) or a date range, which wins when given. `list_params()`
turns the chosen filter into the problem list's parameters (issues.filters.ProblemFilter),
so that each dashboard number can link to exactly the problems it counts.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.filters import LeaderFilter
from issues.forms import leader_queryset
from issues.models import AppealType, Category, Problem
from liaison import choices, workdays
from liaison.forms import HtmlDateInput, OneFormPerFilterSet
from liaison.forms_rendering import ListSelect
from liaison.models import Department, Profile
from liaison.validators import validate_date_window
from meetings.models import Meeting

User = get_user_model()

YEARS_OFFERED = 8
# A date range covers at most this many months (ten years): what the page builds (one row
# per month, one link per figure and month) must not grow with what the user types.
MAX_PERIOD_MONTHS = 120


def year_choices() -> list[tuple[int, int]]:
    this_year = workdays.local_date(timezone.now()).year
    return [(year, year) for year in range(this_year, this_year - YEARS_OFFERED, -1)]


def months_between(first: dt.date, last: dt.date) -> int:
    """How many calendar months the period from `first` to `last` touches."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


class DashboardFilter(OneFormPerFilterSet, django_filters.FilterSet):
    year = django_filters.ChoiceFilter(
        label=_("Year received"),
        choices=year_choices,
        method="filter_nothing",
        empty_label=None,
    )
    date_from = django_filters.DateFilter(
        label=_("Received from"),
        method="filter_nothing",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    date_to = django_filters.DateFilter(
        label=_("Received until"),
        method="filter_nothing",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    # ListSelect: the options of the lists kept between requests (liaison.choices) are
    # written once per list and language, not for every request (issue 18). A department
    # head's own department is not a kept list: its select renders as a Select.
    department = django_filters.ModelChoiceFilter(
        label=_("Lead department"),
        field_name="lead_department",
        queryset=Department.objects.all(),
        widget=ListSelect,
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all(), widget=ListSelect
    )
    town = django_filters.ModelChoiceFilter(
        label=_("Town or street"),
        field_name="enterprise__town",
        queryset=Department.objects.filter(kind=Department.Kind.TOWN).order_by("name"),
        widget=ListSelect,
    )
    appeal_type = django_filters.ChoiceFilter(label=_("Appeal type"), choices=AppealType.choices)
    meeting = django_filters.ModelChoiceFilter(
        label=_("Face-to-face meeting"),
        queryset=Meeting.objects.order_by("-year", "-number"),
        widget=ListSelect,
    )
    leader = LeaderFilter(
        label=_("Responsible leader"),
        field_name="responsible_leader",
        queryset=leader_queryset(),
        widget=ListSelect,
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def __init__(self, data=None, *args, department: Department | None = None, **kwargs):
        """`department`: a department head's own, forced whatever the request says."""
        data = data.copy() if data is not None else {}
        if not data.get("year") and not data.get("date_from") and not data.get("date_to"):
            data["year"] = str(year_choices()[0][0])
        if department is not None:
            data["department"] = str(department.pk)
        super().__init__(data, *args, **kwargs)
        self.forced_department = department
        # The lists every user sees (liaison.choices): not a department head's own one.
        fields = self.form.fields
        if department is None:
            choices.use_cached_choices(fields["department"], "dashboard.departments", Department)
        choices.use_cached_choices(fields["category"], "dashboard.categories", Category)
        choices.use_cached_choices(fields["town"], "dashboard.towns", Department)
        choices.use_cached_choices(fields["meeting"], "dashboard.meetings", Meeting)
        choices.use_cached_choices(fields["leader"], "leaders", User, Profile)
        if department is not None:
            field = self.form.fields["department"]
            field.queryset = Department.objects.filter(pk=department.pk)
            field.disabled = True
            field.initial = department.pk
        self.form.clean = self._clean_period

    def _clean_period(self):
        cleaned = forms.Form.clean(self.form)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.form.add_error("date_to", _("The start date is after the end date."))
        elif start and end and months_between(start, end) > MAX_PERIOD_MONTHS:
            self.form.add_error(
                "date_to",
                _("A period may cover at most %(years)d years.")
                % {"years": MAX_PERIOD_MONTHS // 12},
            )
        return cleaned

    def filter_nothing(self, queryset, name, value):
        # The period is applied once, in filter_queryset, from the year or the dates.
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        first, last = self.period()
        return queryset.filter(
            created_at__gte=workdays.start_of_day(first),
            created_at__lt=workdays.start_of_day(last + dt.timedelta(days=1)),
        )

    def period(self) -> tuple[dt.date, dt.date]:
        """First and last day received (inclusive), from the valid form."""
        cleaned = self.form.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start or end:
            year = (start or end).year
            return start or dt.date(year, 1, 1), end or dt.date(year, 12, 31)
        year = int(cleaned.get("year") or year_choices()[0][0])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)

    # The filters the dashboard summary (dashboard.models.DashboardCell) can answer, and the
    # cell column each one is; any other filter with a value sends the page to live counts.
    SUMMARY_COLUMNS = {
        "department": "lead_department_id",
        "category": "category_id",
        "town": "town_id",
        "appeal_type": "appeal_type",
        "meeting": "meeting_id",
        "leader": "responsible_leader_id",
    }
    PERIOD_FILTERS = ("year", "date_from", "date_to")

    def summary_lookups(self) -> dict | None:
        """This filter as summary lookups (dashboard.figures), or None when the cells cannot
        answer it: the period's first and last day, and the cell's key column of every
        other filter with a value (every filter of this form is one).
        """
        first, last = self.period()
        lookups: dict = {"day__gte": first, "day__lte": last}
        for name, value in self.form.cleaned_data.items():
            if name in self.PERIOD_FILTERS or value in (None, "", [], ()):
                continue
            if name not in self.SUMMARY_COLUMNS:
                return None
            lookups[self.SUMMARY_COLUMNS[name]] = getattr(value, "pk", value)
        return lookups

    def list_params(self) -> dict[str, str]:
        """The problem list's filter parameters for the same problems."""
        first, last = self.period()
        cleaned = self.form.cleaned_data
        params = {"submitted_after": first.isoformat(), "submitted_before": last.isoformat()}
        for name, list_name in (
            ("department", "lead_department"),
            ("category", "category"),
            ("town", "town"),
            ("meeting", "meeting"),
            ("leader", "responsible_leader"),
        ):
            if cleaned.get(name) is not None:
                params[list_name] = str(cleaned[name].pk)
        if cleaned.get("appeal_type"):
            params["appeal_type"] = cleaned["appeal_type"]
        return params

    def export_params(self) -> dict[str, str]:
        """This filter as dashboard parameters (for the export link and the league sort)."""
        first, last = self.period()
        cleaned = self.form.cleaned_data
        if cleaned.get("date_from") or cleaned.get("date_to"):
            params = {"date_from": first.isoformat(), "date_to": last.isoformat()}
        else:
            params = {"year": str(first.year)}
        for name in ("department", "category", "town", "meeting", "leader"):
            if cleaned.get(name) is not None and not (
                name == "department" and self.forced_department
            ):
                params[name] = str(cleaned[name].pk)
        if cleaned.get("appeal_type"):
            params["appeal_type"] = cleaned["appeal_type"]
        return params
