"""The office's list of common problems (django-filter): status, department, leader,
category, text."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.filters import LeaderFilter
from issues.forms import leader_queryset
from issues.models import Category
from liaison.models import Department

from .models import CommonProblem, PolicyMeasure


class CommonProblemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Text"), method="filter_text", max_length=100)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CommonProblem.Status.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True),
        method="filter_department",
    )
    leader = LeaderFilter(
        label=_("Leader"), queryset=leader_queryset(), field_name="responsible_leader"
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.filter(is_active=True)
    )

    class Meta:
        model = CommonProblem
        fields = ["q", "status", "department", "leader", "category"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(published_title__icontains=value)
        )

    def filter_department(self, queryset, name, value):
        if not value:
            return queryset
        involved = PolicyMeasure.departments.through.objects.filter(department=value).values(
            "policymeasure__common_problem_id"
        )
        return queryset.filter(Q(lead_department=value) | Q(pk__in=involved))
