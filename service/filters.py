"""The enterprises' list filters (django-filter): bounded inputs, as issues/filters.py."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import workdays
from liaison.forms import HtmlDateInput, OneFormPerFilterSet
from liaison.models import Department
from liaison.validators import validate_date_window

from .models import CommissionerAssignment
from .selectors import MONTHS_MAX, MONTHS_MIN, _months_before, officials

SEARCH_MAX_LENGTH = 100


class EnterpriseFilter(OneFormPerFilterSet, django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name or credit code"), method="filter_text", max_length=SEARCH_MAX_LENGTH
    )
    town = django_filters.ModelChoiceFilter(
        label=_("Town or street"),
        queryset=Department.objects.filter(kind=Department.Kind.TOWN).order_by("name"),
    )
    industry = django_filters.CharFilter(
        label=_("Industry"), lookup_expr="icontains", max_length=100
    )
    commissioner = django_filters.ModelChoiceFilter(
        label=_("Commissioner"), queryset=officials(), method="filter_commissioner"
    )
    open = django_filters.ChoiceFilter(
        label=_("Open problems"),
        choices=(("yes", _("Yes")), ("no", _("No"))),
        method="filter_open",
    )
    visited_before = django_filters.DateFilter(
        label=_("Last visit before"),
        method="filter_visited_before",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    not_visited_months = django_filters.NumberFilter(
        label=_("Not visited for (months)"),
        method="filter_not_visited",
        min_value=MONTHS_MIN,
        max_value=MONTHS_MAX,
    )

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__iexact=value))

    def filter_commissioner(self, queryset, name, value):
        served = CommissionerAssignment.objects.filter(commissioner=value, active=True)
        return queryset.filter(pk__in=served.values("enterprise_id"))

    def filter_open(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(open_problems__gt=0)
        return queryset.filter(open_problems=0)

    def filter_visited_before(self, queryset, name, value):
        return queryset.filter(Q(last_visit__isnull=True) | Q(last_visit__lt=value))

    def filter_not_visited(self, queryset, name, value):
        today = workdays.local_date(timezone.now())
        since = _months_before(today, int(value))
        return queryset.filter(Q(last_visit__isnull=True) | Q(last_visit__lt=since))


__all__ = ["SEARCH_MAX_LENGTH", "EnterpriseFilter"]
