"""List filters for problems (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from liaison.forms import HtmlDateInput
from liaison.models import Department, Enterprise

from . import metrics, selectors
from .forms import LeaderChoiceField, leader_queryset
from .models import OPEN_STATUSES, Category, Problem, Satisfaction, Status


class LeaderFilter(django_filters.ModelChoiceFilter):
    field_class = LeaderChoiceField


class StableOrderingFilter(django_filters.OrderingFilter):
    """The chosen order, then the id, so that paging shows every problem exactly once.

    Many problems share a deadline or a submission time; without a last key the database
    may order them differently for each page.
    """

    # Our own catalogue has it (django-filter ships no Simplified Chinese), and the label
    # stays lazy: the choices are built once, when the class is defined, in no language.
    descending_fmt = _("{} (descending)")

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, param)
            choices += [(param, label), (f"-{param}", format_lazy(self.descending_fmt, label))]
        return choices

    def filter(self, qs, value):
        ordered = super().filter(qs, value)
        keys = list(ordered.query.order_by)
        if ordered is qs or not keys:
            return ordered
        return ordered.order_by(*keys, "-id" if str(keys[0]).startswith("-") else "id")


class ProblemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    lead_department = django_filters.ModelChoiceFilter(
        label=_("Lead department"), queryset=Department.objects.all()
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all()
    )
    responsible_leader = LeaderFilter(label=_("Responsible leader"), queryset=leader_queryset())
    enterprise = django_filters.ModelChoiceFilter(
        label=_("Enterprise"), queryset=Enterprise.objects.all()
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue now"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )
    due_within = django_filters.NumberFilter(
        label=_("Due within N working days"),
        method="filter_due_within",
        min_value=0,
        max_value=30,
    )
    submitted_after = django_filters.DateFilter(
        label=_("Submitted from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=HtmlDateInput(),
    )
    submitted_before = django_filters.DateFilter(
        label=_("Submitted until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=HtmlDateInput(),
    )
    # What the dashboard's numbers link to (liaison/dashboard.py); no query to render.
    on_time = django_filters.BooleanFilter(
        label=_("Concluded on time"), method="filter_on_time", widget=forms.CheckboxInput
    )
    escalated = django_filters.BooleanFilter(
        label=_("Escalated now"), method="filter_escalated", widget=forms.CheckboxInput
    )
    satisfaction = django_filters.MultipleChoiceFilter(
        label=_("Satisfaction"),
        choices=Satisfaction.choices,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    meeting = django_filters.NumberFilter(label="", widget=forms.HiddenInput)
    town = django_filters.NumberFilter(label="", method="filter_town", widget=forms.HiddenInput)
    ordering = StableOrderingFilter(
        label=_("Order"),
        fields=(("created_at", "created"), ("due_at", "due"), ("reference", "reference")),
        # Keyed by model field: django-filter labels each ordering by its field.
        field_labels={
            "created_at": _("Submission date"),
            "due_at": _("Deadline"),
            "reference": _("Reference"),
        },
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__startswith=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(enterprise__name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return selectors.overdue(queryset, now=timezone.now())

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return selectors.due_within(queryset, int(value), now=timezone.now())

    def filter_on_time(self, queryset, name, value):
        return queryset.filter(metrics.ON_TIME) if value else queryset

    def filter_escalated(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES, escalation_level__gte=1)

    def filter_town(self, queryset, name, value):
        if value is None:
            return queryset
        if not value:  # 0: the enterprise has no town recorded
            return queryset.filter(enterprise__town__isnull=True)
        return queryset.filter(enterprise__town_id=int(value))
