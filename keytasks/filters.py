"""The year's key-task list filters (django-filter): leader, department, status, overdue."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.filters import LeaderFilter
from issues.forms import leader_queryset
from liaison.forms import OneFormPerFilterSet
from liaison.models import Department

from .models import KeyTask


class KeyTaskFilter(OneFormPerFilterSet, django_filters.FilterSet):
    leader = LeaderFilter(label=_("Leader"), queryset=leader_queryset())
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True),
        method="filter_department",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=KeyTask.Status.choices)
    overdue = django_filters.BooleanFilter(
        label=_("With overdue milestones"), method="filter_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = KeyTask
        fields = ["leader", "department", "status"]

    def filter_department(self, queryset, name, value):
        if not value:
            return queryset
        supporting = KeyTask.supporting_departments.through.objects.filter(department=value).values(
            "keytask_id"
        )
        return queryset.filter(Q(lead_department=value) | Q(pk__in=supporting))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(overdue_count__gt=0)
